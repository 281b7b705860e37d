import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrateDatabase } from '../data-source';
import { EmbeddedPostgres } from '../embedded/embedded-postgres';
import { MIGRATED_TEMPLATE, TEST_SERVER_URL_VARIABLE } from './create-test-database';

/**
 * Vitest global setup of the integration and e2e tiers: without DATABASE_URL, one embedded
 * PostgreSQL server for the whole run (the engine `npm start` and CI's server pass run), with a
 * migrated template database that createTestDatabase copies per test file. Its URL reaches the test
 * workers and the processes they spawn through the environment. Stopped at the end of the run (and
 * by its watchdog if the run is killed).
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env['DATABASE_URL'] || process.env[TEST_SERVER_URL_VARIABLE]) return undefined;
  const root = mkdtempSync(join(tmpdir(), 'ztp-test-server-'));
  const server = await EmbeddedPostgres.start({ dataDir: join(root, 'postgres'), durable: false });
  try {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${MIGRATED_TEMPLATE}`);
    } finally {
      await admin.end();
    }
    const template = new URL(server.url);
    template.pathname = `/${MIGRATED_TEMPLATE}`;
    await migrateDatabase(template.toString());
  } catch (err) {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  process.env[TEST_SERVER_URL_VARIABLE] = server.url;
  return async () => {
    delete process.env[TEST_SERVER_URL_VARIABLE];
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  };
}
