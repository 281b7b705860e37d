import { createServer, type Server, type Socket, connect } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, QUEUE_SCHEMA, type TestDatabase } from '@ztp/persistence';
import { JobQueues } from '../nest/job-queues';
import { migrateQueueSchema } from '../queue-schema';
import { PostgresBackend } from './postgres-backend';

/**
 * The queue backend's pg clients lose their connection while checked out (a restarted or failed-over
 * PostgreSQL, a killed backend: `read ECONNRESET`): the call in flight fails, the process lives on,
 * and the next call gets a fresh connection. The readiness probe's ping() is the client held here:
 * it is checked out of the queue pool, where pg-pool has removed its own 'error' listener. The
 * backend talks to the database through a TCP relay of the test's own, which resets its
 * connections (RST) on demand, so only this test's connections die and the shared server is unharmed.
 * Before every pool got ResilientPgClient the reset surfaced as an uncaught 'error' event.
 */
describe('the PostgreSQL queue backend losing its connection', () => {
  let database: TestDatabase;
  let backend: PostgresBackend;
  let admin: pg.Client;
  let relay: ResettableRelay;
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);

  beforeAll(async () => {
    database = await createTestDatabase();
    await migrateQueueSchema(database.url);
    relay = await ResettableRelay.start(new URL(database.url));
    backend = new PostgresBackend({ url: relay.url(database.url) });
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    // Collected here so the assertion names the error instead of vitest failing the run elsewhere.
    process.prependListener('uncaughtException', onUncaught);
  });

  afterAll(async () => {
    process.off('uncaughtException', onUncaught);
    await admin?.end().catch(() => undefined);
    await backend?.close().catch(() => undefined);
    await relay?.close();
    await database?.drop();
  });

  beforeEach(() => {
    uncaught.length = 0;
  });

  /** The pid of the queue pool's connection waiting for a lock, once it waits. */
  async function blockedQueueBackend(): Promise<number> {
    for (let i = 0; i < 250; i++) {
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'ztp-queues' AND wait_event_type = 'Lock'`,
      );
      if (rows[0]) return rows[0].pid;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('the ping never waited for the lock');
  }

  it('a ping whose connection is reset fails, the process lives, and the next ping succeeds', async () => {
    await expect(backend.ping()).resolves.toBeUndefined();
    // Hold the ping's statement on a lock so its client stays checked out while its backend dies.
    await admin.query('BEGIN');
    await admin.query(`LOCK TABLE ${QUEUE_SCHEMA}.migration IN ACCESS EXCLUSIVE MODE`);
    const ping = backend.ping().then(
      () => undefined,
      (err: Error) => err,
    );
    try {
      await blockedQueueBackend();
      relay.resetAll();
      expect(await ping).toBeInstanceOf(Error);
    } finally {
      await admin.query('ROLLBACK');
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(uncaught).toEqual([]);
    await expect(backend.ping()).resolves.toBeUndefined();
  });

  it('a queue whose connections are all reset recovers for the next add', async () => {
    const queue = backend.createQueue({ name: 'test.lost-connection', defaultJobOptions: {} });
    const errors: Error[] = [];
    queue.on('error', (err) => errors.push(err));
    try {
      await queue.add('first', {});
      relay.resetAll();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(uncaught).toEqual([]);
      let added = false;
      for (let i = 0; i < 20 && !added; i++) {
        added = await queue.add('second', {}).then(
          () => true,
          () => false,
        );
        if (!added) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(added).toBe(true);
      expect(await queue.getJobCountByTypes('waiting')).toBe(2);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('a queue first used while the database is unreachable works once it is back', async () => {
    const queues = new JobQueues(backend);
    const definition = { name: 'test.first-use-while-down', defaultJobOptions: {} };
    try {
      relay.refuse = true;
      relay.resetAll();
      await expect(queues.get(definition).add('while-down', {})).rejects.toThrow();
      relay.refuse = false;
      // BullMQ's queue kept its first connection's failure; JobQueues replaces it.
      let added = false;
      for (let i = 0; i < 20 && !added; i++) {
        added = await queues
          .get(definition)
          .add('back', {})
          .then(
            () => true,
            () => false,
          );
        if (!added) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(added).toBe(true);
      expect(uncaught).toEqual([]);
    } finally {
      relay.refuse = false;
      await queues.get(definition).obliterate({ force: true });
      await queues.onApplicationShutdown();
    }
  });
});

/** A TCP relay to the database whose open connections can be reset (RST), like a crashed peer's. */
class ResettableRelay {
  /** While set, every new connection is cut at once, as by a server that is down. */
  refuse = false;

  private constructor(
    private readonly server: Server,
    private readonly port: number,
    private readonly sockets: Set<Socket>,
  ) {}

  static async start(target: URL): Promise<ResettableRelay> {
    const sockets = new Set<Socket>();
    let relay: ResettableRelay | undefined = undefined;
    const server = createServer((client) => {
      if (relay?.refuse) {
        client.on('error', () => undefined);
        client.resetAndDestroy();
        return;
      }
      const upstream = connect(Number(target.port || 5432), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    relay = new ResettableRelay(server, (server.address() as { port: number }).port, sockets);
    return relay;
  }

  /** `url` with its host and port replaced by the relay's. */
  url(url: string): string {
    const relayed = new URL(url);
    relayed.hostname = '127.0.0.1';
    relayed.port = String(this.port);
    return relayed.toString();
  }

  /** Resets every connection: each pg client sees `read ECONNRESET`. */
  resetAll(): void {
    for (const socket of this.sockets) socket.resetAndDestroy();
  }

  async close(): Promise<void> {
    this.resetAll();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
