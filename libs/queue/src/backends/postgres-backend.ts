import {
  assertSchemaCompatibility,
  createPostgresBackend,
  type JobProgress,
  type PostgresConnectionOptions,
  type PostgresQueueBackend,
  Queue,
  QueueEvents,
  Worker,
} from 'bullmq';
import pg from 'pg';
import { QUEUE_SCHEMA, ResilientPgClient } from '@ztp/persistence';
import { type JobHandler, type QueueBackend, type WorkerOptions } from '../queue-backend';
import { type QueueDefinition } from '../queue-definition';
import { withTimeout } from '../with-timeout';

export interface PostgresBackendOptions {
  /** postgres:// URL of the database that holds the queue schema. */
  url: string;
}

/**
 * BullMQ's PostgreSQL backend (queues without Redis), in the `bullmq` schema of the app database.
 * One pg pool is shared by every queue, worker and event listener of the process; BullMQ takes
 * each worker's and listener's LISTEN connection from it, so it is sized for that.
 */
export class PostgresBackend implements QueueBackend {
  readonly kind = 'postgres';
  readonly location: string;
  private readonly pool: pg.Pool;

  constructor(options: PostgresBackendOptions) {
    const parsed = new URL(options.url);
    this.location = `postgres://${parsed.host}${parsed.pathname} (schema ${QUEUE_SCHEMA})`;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: 30,
      // BullMQ holds clients checked out (LISTEN, transactions): a lost connection must not crash us.
      Client: ResilientPgClient,
      application_name: 'ztp-queues',
      // A pool we pass in is used as is, so the schema is pinned here.
      options: `-c search_path=${QUEUE_SCHEMA}`,
    });
    // An idle client dropped by the server must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
    // Every BullMQ queue, worker and event stream on this shared pool adds its own error listener;
    // a dozen of them is expected, not a leak (Node warns past 10).
    this.pool.setMaxListeners(0);
  }

  createQueue<TData, TResult>(definition: QueueDefinition<TData, TResult>): Queue<TData, TResult> {
    // BullMQ types a queue by its backend; callers only need the shared Queue API.
    return new Queue<
      TData,
      TResult,
      string,
      TData,
      TResult,
      string,
      PostgresQueueBackend,
      PostgresConnectionOptions
    >(
      definition.name,
      { connection: this.pool, defaultJobOptions: definition.defaultJobOptions },
      createPostgresBackend,
    ) as unknown as Queue<TData, TResult>;
  }

  createWorker<TData, TResult>(
    definition: QueueDefinition<TData, TResult>,
    handler: JobHandler<TData, TResult>,
    options: WorkerOptions = {},
  ): Worker<TData, TResult> {
    return new Worker<TData, TResult, string, PostgresQueueBackend, JobProgress, PostgresConnectionOptions>(
      definition.name,
      handler,
      {
        connection: this.pool,
        concurrency: options.concurrency ?? 1,
      },
      createPostgresBackend,
    ) as unknown as Worker<TData, TResult>;
  }

  async createQueueEvents(definition: QueueDefinition<unknown, unknown>): Promise<QueueEvents> {
    // BullMQ resolves its default '$' cursor ("events from now on") on its first read, some time
    // after the constructor returns, and again on every empty poll: an event published in between
    // (a job that fails fast) is skipped for good. So the cursor is fixed here, before we return.
    const { rows } = await this.pool.query<{ max: string }>(
      `SELECT COALESCE(MAX(id), 0)::bigint AS max FROM ${QUEUE_SCHEMA}.event WHERE queue = $1`,
      [definition.name],
    );
    const events = new QueueEvents<unknown, PostgresQueueBackend, PostgresConnectionOptions>(
      definition.name,
      // BullMQ's PostgreSQL readEvents reads the events table, finds nothing, and only then attaches
      // its NOTIFY handler: an event published in between is seen at the next poll, 10 s later by
      // default. That lost a job's 'failed' event under CI load (waitUntilFinished timed out), so the
      // poll is 1 s: one cheap indexed read a second per listener, which only tests and tools hold.
      { connection: this.pool, blockingTimeout: 1000, lastEventId: String(rows[0]!.max) },
      createPostgresBackend,
    ) as unknown as QueueEvents;
    await events.waitUntilReady();
    return events;
  }

  async ping(): Promise<void> {
    const check = async () => {
      const client = await this.pool.connect();
      try {
        await assertSchemaCompatibility(client, QUEUE_SCHEMA);
      } finally {
        client.release();
      }
    };
    await withTimeout(check(), 2000, `The queue schema at ${this.location} did not answer`);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
