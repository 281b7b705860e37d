import { runMigrations } from 'bullmq';
import pg from 'pg';
import { ENTITY_SCHEMA, QUEUE_SCHEMA, ResilientPgClient } from '@ztp/persistence';

/** A table or function in the entity schema would hide BullMQ's namesake on the embedded database. */
export class QueueSchemaShadowedError extends Error {
  constructor(readonly names: readonly string[]) {
    super(
      `The ${ENTITY_SCHEMA} schema has objects named like BullMQ's (${names.join(', ')}); on the embedded ` +
        `database both schemas share one search path, so rename them`,
    );
    this.name = 'QueueSchemaShadowedError';
  }
}

/**
 * Brings BullMQ's PostgreSQL schema up to date (idempotent; serialized by BullMQ's advisory lock).
 * Needed whenever the queues live in PostgreSQL, i.e. REDIS_URL is unset.
 */
export async function migrateQueueSchema(url: string, options: { embedded: boolean }): Promise<number> {
  const client = new ResilientPgClient({ connectionString: url, application_name: 'ztp-migrate-queues' });
  await client.connect();
  try {
    const version = await runMigrations(client, QUEUE_SCHEMA);
    if (options.embedded) await assertQueueSchemaNotShadowed(client);
    return version;
  } finally {
    await client.end();
  }
}

/**
 * On the embedded database every connection shares PGlite's one session whose search path is
 * `public, bullmq`, so BullMQ's unqualified names resolve to `public` first. Fails when an entity
 * table (or a function) takes one of BullMQ's names.
 */
export async function assertQueueSchemaNotShadowed(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT DISTINCT mine.relname AS name
       FROM pg_class mine
       JOIN pg_namespace mine_ns ON mine_ns.oid = mine.relnamespace AND mine_ns.nspname = $1
       JOIN pg_class theirs ON theirs.relname = mine.relname
       JOIN pg_namespace theirs_ns ON theirs_ns.oid = theirs.relnamespace AND theirs_ns.nspname = $2
     UNION
     SELECT DISTINCT mine.proname
       FROM pg_proc mine
       JOIN pg_namespace mine_ns ON mine_ns.oid = mine.pronamespace AND mine_ns.nspname = $1
       JOIN pg_proc theirs ON theirs.proname = mine.proname
       JOIN pg_namespace theirs_ns ON theirs_ns.oid = theirs.pronamespace AND theirs_ns.nspname = $2
     ORDER BY 1`,
    [ENTITY_SCHEMA, QUEUE_SCHEMA],
  );
  if (rows.length > 0) throw new QueueSchemaShadowedError(rows.map((row) => row.name));
}
