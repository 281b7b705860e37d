import { type Logger } from 'pino';
import { type AppConfig } from '@ztp/config';
import { createQueueBackend, type QueueBackend } from '@ztp/queue';
import { assertMigrated, migrateAll, openDatabase } from './database';

/** What one process shares among the apps it hosts: the database, the queue backend, the logger. */
export interface Runtime {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly database: {
    /** postgres:// URL: DATABASE_URL, or the embedded PostgreSQL server's. */
    readonly url: string;
    readonly embedded: boolean;
  };
  readonly queueBackend: QueueBackend;
  /** Closes the queue backend, then stops the embedded database. Close the apps first. */
  close(): Promise<void>;
}

export interface StartRuntimeOptions {
  /**
   * Apply pending migrations (the all-in-one launcher does). Otherwise the start fails when the
   * database lags behind the code: apps run alone are migrated by `npm run migrate`, once.
   */
  migrate: boolean;
}

export async function startRuntime(
  config: AppConfig,
  logger: Logger,
  options: StartRuntimeOptions,
): Promise<Runtime> {
  const database = await openDatabase(config, logger);
  try {
    if (options.migrate) {
      const applied = await migrateAll(config, database, logger);
      if (applied.length > 0) logger.info({ applied }, 'Database migrated');
    } else {
      await assertMigrated(database);
    }
  } catch (err) {
    await database.close();
    throw err;
  }
  const queueBackend = createQueueBackend(config.queue, database);
  logger.info({ location: queueBackend.location }, `Queues on ${queueBackend.kind}`);
  return {
    config,
    logger,
    database: { url: database.url, embedded: database.embedded },
    queueBackend,
    async close() {
      try {
        await queueBackend.close();
      } finally {
        await database.close();
      }
    },
  };
}
