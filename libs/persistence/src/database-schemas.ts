/**
 * How the one PostgreSQL database is laid out. Entities and TypeORM's own `migrations` table live
 * in `public`; BullMQ's PostgreSQL backend (queues without Redis) lives in its own schema.
 */
export const ENTITY_SCHEMA = 'public';
export const QUEUE_SCHEMA = 'bullmq';
