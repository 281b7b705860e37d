import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrateDatabase } from '../data-source';
import { EmbeddedPostgres } from '../embedded/embedded-postgres';

/**
 * Set by the test run's global setup (test/embedded-postgres.global-setup.ts): the admin URL of the
 * one embedded PostgreSQL server of the run, which holds a migrated template database.
 */
export const TEST_SERVER_URL_VARIABLE = 'ZTP_TEST_POSTGRES_URL';
/** The migrated database that each test file's database is copied from (CREATE DATABASE ... TEMPLATE). */
export const MIGRATED_TEMPLATE = 'ztp_migrated_template';

export interface TestDatabase {
  /** Where it runs: the DATABASE_URL server, or an embedded PostgreSQL server. */
  readonly kind: 'postgres' | 'embedded';
  /** postgres:// URL of the fresh, migrated database. */
  readonly url: string;
  /** Drops the database (and stops a server started for it). Close your own connections first. */
  drop(): Promise<void>;
}

/**
 * A fresh, isolated, migrated database for one test file, always on a real PostgreSQL server: a
 * uniquely named database on DATABASE_URL's server when set (an unreachable server fails the test,
 * never skips it); else on the test run's embedded server (a copy of its migrated template); else
 * (outside vitest, e.g. a benchmark's child process) on an embedded server started for it alone.
 */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const migrate = options.migrate ?? true;
  const serverUrl = process.env['DATABASE_URL'];
  const runServerUrl = process.env[TEST_SERVER_URL_VARIABLE];
  const database = serverUrl
    ? await createServerDatabase(serverUrl, 'postgres')
    : runServerUrl
      ? await createServerDatabase(runServerUrl, 'embedded', migrate ? MIGRATED_TEMPLATE : undefined)
      : await createEmbeddedServerDatabase();
  if (migrate) {
    try {
      await migrateDatabase(database.url);
    } catch (err) {
      await database.drop();
      throw err;
    }
  }
  return database;
}

async function createEmbeddedServerDatabase(): Promise<TestDatabase> {
  const root = mkdtempSync(join(tmpdir(), 'ztp-test-db-'));
  try {
    const server = await EmbeddedPostgres.start({ dataDir: join(root, 'postgres'), durable: false });
    return {
      kind: 'embedded',
      url: server.url,
      drop: async () => {
        await server.stop();
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}

async function createServerDatabase(
  serverUrl: string,
  kind: TestDatabase['kind'],
  template?: string,
): Promise<TestDatabase> {
  const name = `ztp_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdminClient(serverUrl, (client) =>
    client.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`),
  );
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.toString(),
    drop: async () => {
      await withAdminClient(serverUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      );
    },
  };
}

async function withAdminClient<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `The test database server ${new URL(serverUrl).host} is unreachable: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
