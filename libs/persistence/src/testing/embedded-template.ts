import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EmbeddedPostgres } from '../embedded/embedded-postgres';

/**
 * A fresh PGlite cluster (initdb in WASM) takes 4-10 s on a small machine; copying an initialised
 * data directory and opening it takes 1-2 s. So test databases start from a pristine cluster made
 * once per machine and PGlite version, kept in the OS temp dir. Returns the copy's directory.
 */
export async function copyOfEmbeddedTemplate(): Promise<string> {
  const template = join(tmpdir(), `ztp-pglite-template-${pgliteVersion()}`);
  if (!isDirectory(template)) await createTemplate(template);
  const copy = join(mkdtempSync(join(tmpdir(), 'ztp-test-db-')), 'pglite');
  cpSync(template, copy, { recursive: true });
  return copy;
}

async function createTemplate(template: string): Promise<void> {
  // Initialise beside and rename into place, so a concurrent test run never copies a partial one.
  const staging = `${template}.${randomUUID()}`;
  const embedded = await EmbeddedPostgres.start({ dataDir: staging });
  await embedded.stop();
  try {
    renameSync(staging, template);
  } catch (err) {
    if (!isDirectory(template)) throw err;
    rmSync(staging, { recursive: true, force: true });
  }
}

function pgliteVersion(): string {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const manifest = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
