import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import pg from 'pg';
import { migrateDatabase } from '../data-source';
import { EmbeddedPostgres } from '../embedded/embedded-postgres';
import { copyOfEmbeddedTemplate } from './embedded-template';

export interface TestDatabase {
  /** Where it runs: a fresh database on the DATABASE_URL server, or a throwaway PGlite. */
  readonly kind: 'postgres' | 'embedded';
  /** postgres:// URL of the fresh, migrated database. */
  readonly url: string;
  /** Drops the database (or stops PGlite). Close your own connections first. */
  drop(): Promise<void>;
}

/**
 * A fresh, isolated, migrated database for one test file. When DATABASE_URL is set, a uniquely
 * named database is created on that server (an unreachable server fails the test, never skips it);
 * otherwise a PGlite behind the embedded socket server on a throwaway copy of a pristine cluster.
 */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const serverUrl = process.env['DATABASE_URL'];
  const database = serverUrl ? await createServerDatabase(serverUrl) : await createEmbeddedDatabase();
  if (options.migrate ?? true) {
    try {
      await migrateDatabase(database.url);
    } catch (err) {
      await database.drop();
      throw err;
    }
  }
  return database;
}

async function createEmbeddedDatabase(): Promise<TestDatabase> {
  const dataDir = await copyOfEmbeddedTemplate();
  const embedded = await EmbeddedPostgres.start({ dataDir });
  return {
    kind: 'embedded',
    url: embedded.url,
    drop: async () => {
      await embedded.stop();
      rmSync(dirname(dataDir), { recursive: true, force: true });
    },
  };
}

async function createServerDatabase(serverUrl: string): Promise<TestDatabase> {
  const name = `ztp_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdminClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    kind: 'postgres',
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
    throw new Error(`DATABASE_URL is set but the server is unreachable: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
