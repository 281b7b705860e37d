import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedDatabaseBusyError } from './data-dir-lock';
import { EmbeddedPostgres } from './embedded-postgres';

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

// The embedded database itself, whatever DATABASE_URL says: it is what `npm start` runs on.
describe('EmbeddedPostgres on a data directory', () => {
  const root = mkdtempSync(join(tmpdir(), 'ztp-embedded-'));
  const dataDir = join(root, 'pglite');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('keeps data across a restart and refuses a second opener meanwhile', async () => {
    const first = await EmbeddedPostgres.start({ dataDir });
    try {
      await query(first.url, 'CREATE TABLE kept (value text); INSERT INTO kept VALUES ($$across restarts$$)');
      await expect(EmbeddedPostgres.start({ dataDir })).rejects.toBeInstanceOf(EmbeddedDatabaseBusyError);
      expect(await query(first.url, 'SHOW search_path')).toEqual([{ search_path: 'public, bullmq' }]);
    } finally {
      await first.stop();
    }

    const second = await EmbeddedPostgres.start({ dataDir });
    try {
      expect(await query(second.url, 'SELECT value FROM kept')).toEqual([{ value: 'across restarts' }]);
    } finally {
      await second.stop();
    }
  });
});
