import { runMigrations } from 'bullmq';
import { QUEUE_SCHEMA, ResilientPgClient } from '@ztp/persistence';

/**
 * Brings BullMQ's PostgreSQL schema up to date (idempotent; serialized by BullMQ's advisory lock).
 * Needed whenever the queues live in PostgreSQL, i.e. REDIS_URL is unset.
 */
export async function migrateQueueSchema(url: string): Promise<number> {
  const client = new ResilientPgClient({ connectionString: url, application_name: 'ztp-migrate-queues' });
  await client.connect();
  try {
    return await runMigrations(client, QUEUE_SCHEMA);
  } finally {
    await client.end();
  }
}
