import { readFileSync } from 'node:fs';

/** The product version (root package.json), shown on GET /info and in the OpenAPI documents. */
export const PRODUCT_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
