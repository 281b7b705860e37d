/** `npm run openapi`: regenerates the committed OpenAPI documents in openapi/. */
import 'reflect-metadata';
import { writeOpenApiDocuments } from './openapi-documents';

const directory = new URL('../openapi/', import.meta.url).pathname;
const written = await writeOpenApiDocuments(directory);
console.log(`Wrote ${written.map((file) => `openapi/${file}`).join(', ')}`);
