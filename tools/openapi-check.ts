/**
 * `npm run openapi:check`: regenerates the OpenAPI documents into a temp dir and fails when a
 * committed file in openapi/ differs (or is missing), naming each drifted file.
 */
import 'reflect-metadata';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeOpenApiDocuments } from './openapi-documents';

const committed = new URL('../openapi/', import.meta.url).pathname;
const fresh = mkdtempSync(join(tmpdir(), 'ztp-openapi-'));
try {
  const drifted = (await writeOpenApiDocuments(fresh)).filter((file) => {
    try {
      return readFileSync(join(committed, file), 'utf8') !== readFileSync(join(fresh, file), 'utf8');
    } catch {
      return true;
    }
  });
  if (drifted.length > 0) {
    for (const file of drifted) {
      console.error(`openapi/${file} is out of date with the code (or missing).`);
    }
    console.error('Run `npm run openapi` and commit the result.');
    process.exitCode = 1;
  } else {
    console.log('OpenAPI documents are up to date.');
  }
} finally {
  rmSync(fresh, { recursive: true, force: true });
}
