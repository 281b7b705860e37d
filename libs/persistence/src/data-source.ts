import { DataSource, type DataSourceOptions, MigrationExecutor } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { ResilientPgClient } from './support/resilient-pg-client';

export interface DatabaseConnectionOptions {
  /** postgres:// URL (DATABASE_URL, or the embedded database's socket). */
  url: string;
  /** Shown in pg_stat_activity, e.g. the app name. */
  applicationName?: string;
  /** Maximum pooled connections of this data source. */
  poolSize?: number;
}

/** The one place TypeORM is configured. `synchronize` is off for good: migrations own the schema. */
export function buildDataSourceOptions(options: DatabaseConnectionOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: options.url,
    applicationName: options.applicationName ?? 'ztp',
    poolSize: options.poolSize ?? 10,
    connectTimeoutMS: 10_000,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    // gen_random_uuid() is built into PostgreSQL >= 13; no extension to install.
    installExtensions: false,
    uuidExtension: 'pgcrypto',
    // Passed to pg.Pool: a connection lost while a client is checked out must not crash the process.
    extra: { Client: ResilientPgClient },
  };
}

/** An initialized data source; the caller destroys it. */
export async function openDataSource(options: DatabaseConnectionOptions): Promise<DataSource> {
  return new DataSource(buildDataSourceOptions(options)).initialize();
}

/** Runs every pending migration, each in its own transaction. Returns the names applied. */
export async function migrateDatabase(url: string): Promise<string[]> {
  const dataSource = await openDataSource({ url, applicationName: 'ztp-migrate', poolSize: 2 });
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}

/** Thrown at start when the database lags behind the code. */
export class PendingMigrationsError extends Error {
  constructor(readonly pending: readonly string[]) {
    super(
      `The database has ${pending.length} pending migration(s) (${pending.join(', ')}); ` +
        'run `npm run migrate` with the same DATABASE_URL first',
    );
    this.name = 'PendingMigrationsError';
  }
}

/** Apps started on their own never migrate; they refuse to run on a schema older than the code. */
export async function assertNoPendingMigrations(url: string): Promise<void> {
  const dataSource = await openDataSource({ url, applicationName: 'ztp-migration-check', poolSize: 1 });
  try {
    const pending = await new MigrationExecutor(dataSource).getPendingMigrations();
    if (pending.length > 0) throw new PendingMigrationsError(pending.map((migration) => migration.name));
  } finally {
    await dataSource.destroy();
  }
}
