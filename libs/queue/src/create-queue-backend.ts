import { type AppConfig } from '@ztp/config';
import { PostgresBackend } from './backends/postgres-backend';
import { RedisBackend } from './backends/redis-backend';
import { type QueueBackend } from './queue-backend';

export interface QueueDatabase {
  /** postgres:// URL of the app database (used when the queues live in PostgreSQL). */
  url: string;
}

/** Redis when REDIS_URL is set, otherwise BullMQ's PostgreSQL backend on the app database. */
export function createQueueBackend(queue: AppConfig['queue'], database: QueueDatabase): QueueBackend {
  return queue.kind === 'redis'
    ? new RedisBackend(queue.url, queue.prefix)
    : new PostgresBackend({ url: database.url });
}
