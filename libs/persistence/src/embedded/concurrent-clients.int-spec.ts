import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { copyOfEmbeddedTemplate } from '../testing/embedded-template';
import { EmbeddedPostgres } from './embedded-postgres';

// Every app, the worker and BullMQ share the one PGlite session through the socket server, over
// many connections at once. These tests drive it the way they do: a pool of `pg` connections
// sending extended-protocol queries and transactions concurrently.
describe('EmbeddedPostgres under concurrent connections', () => {
  let dataDir: string;
  let embedded: EmbeddedPostgres;
  let pool: pg.Pool;

  beforeAll(async () => {
    dataDir = await copyOfEmbeddedTemplate();
    embedded = await EmbeddedPostgres.start({ dataDir });
    pool = new pg.Pool({ connectionString: embedded.url, max: 20 });
    await pool.query('CREATE TABLE probe (id int PRIMARY KEY, note text NOT NULL)');
  });

  afterAll(async () => {
    await pool?.end();
    await embedded?.stop();
    if (dataDir) rmSync(dirname(dataDir), { recursive: true, force: true });
  });

  it('answers every parameterised query with its own result while transactions commit and roll back', async () => {
    const committedIds = new Set<number>();
    const commitSent = new Set<number>();
    const rolledBackIds = new Set<number>();
    const failures: string[] = [];

    const parameterised = async (i: number) => {
      const { rows } = await pool.query<{ n: number; label: string }>(
        'SELECT $1::int AS n, $2::text AS label, pg_sleep(0)',
        [i, `query-${i}`],
      );
      if (rows.length !== 1 || rows[0]?.n !== i || rows[0]?.label !== `query-${i}`) {
        failures.push(`query ${i} got ${JSON.stringify(rows)}`);
      }
    };

    // Rows of a transaction are visible to others only once its COMMIT was sent, never after ROLLBACK.
    const reader = async (i: number) => {
      const { rows } = await pool.query<{ id: number }>('SELECT id FROM probe WHERE id > $1', [-1 - i]);
      for (const { id } of rows) {
        if (!commitSent.has(id)) failures.push(`reader ${i} saw uncommitted row ${id}`);
      }
    };

    const transaction = async (id: number, commit: boolean) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('INSERT INTO probe (id, note) VALUES ($1, $2)', [id, `tx-${id}`]);
        await sleep(1); // hold the transaction open while other connections keep sending
        const own = await client.query<{ note: string }>('SELECT note FROM probe WHERE id = $1', [id]);
        if (own.rows[0]?.note !== `tx-${id}`) failures.push(`transaction ${id} lost its own row`);
        if (commit) {
          commitSent.add(id);
          await client.query('COMMIT');
          committedIds.add(id);
        } else {
          await client.query('ROLLBACK');
          rolledBackIds.add(id);
        }
      } finally {
        client.release();
      }
    };

    const work: Promise<void>[] = [];
    for (let i = 0; i < 3000; i++) {
      work.push(parameterised(i));
      if (i % 30 === 0) work.push(transaction(i, i % 60 === 0));
      if (i % 50 === 25) work.push(reader(i));
    }
    const outcomes = await Promise.allSettled(work);
    const errors = outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));

    expect(errors.slice(0, 5)).toEqual([]);
    expect(failures.slice(0, 5)).toEqual([]);
    const { rows } = await pool.query<{ id: number }>('SELECT id FROM probe ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual([...committedIds].sort((a, b) => a - b));
    expect(committedIds.size).toBe(50);
    expect(rolledBackIds.size).toBe(50);
  });

  it('keeps a paged (Execute with a row limit, then Flush) query whole among concurrent queries', async () => {
    const paged = async (i: number) => {
      const { rows } = await pool.query<{ n: number }>({
        text: 'SELECT generate_series($1::int, $1::int + 9) AS n',
        values: [i * 100],
        rows: 3,
      } as pg.QueryConfig);
      return rows.map((r) => r.n);
    };
    const single = async (i: number) => {
      const { rows } = await pool.query<{ n: number }>('SELECT $1::int AS n', [i]);
      return rows.map((r) => r.n);
    };
    const expected = (i: number) => (i % 2 ? Array.from({ length: 10 }, (_, k) => i * 100 + k) : [i]);

    const outcomes = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => (i % 2 ? paged(i) : single(i))),
    );
    const wrong = outcomes.flatMap((outcome, i) =>
      outcome.status === 'rejected'
        ? [`${i}: ${String(outcome.reason)}`]
        : JSON.stringify(outcome.value) === JSON.stringify(expected(i))
          ? []
          : [`${i}: got ${JSON.stringify(outcome.value)}`],
    );
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('rolls back the transaction of a connection that disconnects inside it, and serves the others', async () => {
    const client = new pg.Client({ connectionString: embedded.url });
    await client.connect();
    client.on('error', () => undefined);
    await client.query('BEGIN');
    await client.query('INSERT INTO probe (id, note) VALUES ($1, $2)', [-1, 'abandoned']);
    const waiting = pool.query<{ count: string }>('SELECT count(*) FROM probe WHERE id = $1', [-1]);
    // Drop the connection without a Terminate, as a crashed process would (pg has no public way).
    (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();

    expect((await waiting).rows).toEqual([{ count: '0' }]);
    expect((await pool.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('carries a message spread over many socket reads', async () => {
    const text = 'x'.repeat(3 * 1024 * 1024);
    const { rows } = await pool.query<{ length: number; same: boolean }>(
      'SELECT length($1::text) AS length, $1::text = repeat($2, $3) AS same',
      [text, 'x', text.length],
    );
    expect(rows).toEqual([{ length: text.length, same: true }]);
  });

  it('declines TLS, then refuses a message longer than it will buffer and closes that connection', async () => {
    const { port } = new URL(embedded.url);
    const socket = connect(Number(port), '127.0.0.1');
    const replies: Buffer[] = [];
    socket.on('data', (chunk) => replies.push(chunk));
    const sslRequest = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
    const startup = Buffer.from('\0\0\0\0\0\x03\0\0user\0postgres\0database\0postgres\0\0', 'latin1');
    startup.writeInt32BE(startup.length, 0);
    socket.write(Buffer.concat([sslRequest, startup]));
    socket.write(Buffer.from([0x51, 0x7f, 0xff, 0xff, 0xff])); // 'Q' announcing ~2 GiB
    await new Promise((resolve) => socket.on('close', resolve));

    const reply = Buffer.concat(replies);
    expect(reply.subarray(0, 2).toString('latin1')).toBe('NR'); // no TLS, then AuthenticationOk
    const readyForQuery = reply.lastIndexOf(Buffer.from('Z\0\0\0\x05I', 'latin1'));
    const error = reply.subarray(readyForQuery + 6);
    expect(error.subarray(0, 1).toString('latin1')).toBe('E');
    expect(error.toString('latin1')).toContain('message too long');
    expect((await pool.query('SELECT 2 AS ok')).rows).toEqual([{ ok: 2 }]);
  });
});
