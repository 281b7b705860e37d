import pg from 'pg';
import { type DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDataSource } from '../data-source';
import { findPostgresBinaries, ThrowawayPostgres } from '../testing/throwaway-postgres';
import { preparedQuery } from './prepared-query';

// A lost database must never kill the process: the statement in flight fails, the next ones fail
// cleanly while it is down, then succeed once it is back. Needs a server of our own to kill.
const binaries = findPostgresBinaries();
const missing = 'missing' in binaries ? binaries.missing : undefined;
if (missing && process.env['CI'] === 'true')
  throw new Error(`CI must run the lost-database test: ${missing}`);

describe.skipIf(missing !== undefined)('a lost database', () => {
  let server: ThrowawayPostgres;
  let dataSource: DataSource;
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);

  beforeAll(async () => {
    server = await ThrowawayPostgres.start();
    dataSource = await openDataSource({ url: server.url, poolSize: 4 });
    // Collected instead of failing the run from outside the test, so the assertion names it.
    process.prependListener('uncaughtException', onUncaught);
  });

  afterAll(async () => {
    process.off('uncaughtException', onUncaught);
    await dataSource?.destroy().catch(() => undefined);
    await server?.stop();
  });

  beforeEach(() => {
    uncaught.length = 0;
  });

  async function backendOf(applicationName: string, queryPrefix: string): Promise<number> {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      for (let i = 0; i < 100; i++) {
        const { rows } = await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE $2 || '%'`,
          [applicationName, queryPrefix],
        );
        if (rows[0]) return rows[0].pid;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no backend running ${queryPrefix}`);
    } finally {
      await admin.end();
    }
  }

  async function eventually<T>(work: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        return await work();
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  it('a checked-out prepared-statement client whose backend is killed fails its statement, not the process', async () => {
    const inFlight = preparedQuery(dataSource, 'sleep', 'SELECT pg_sleep(30) AS slept', []);
    const caught = inFlight.then(
      () => undefined,
      (err: Error) => err,
    );
    process.kill(await backendOf('ztp', 'SELECT pg_sleep(30)'), 'SIGKILL');
    const err = await caught;
    expect(err).toBeInstanceOf(Error);
    // Let the socket's close and error events fire while the client is still out of the pool.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(uncaught).toEqual([]);
    const rows = await eventually(() =>
      preparedQuery<{ one: number }>(dataSource, 'one', 'SELECT 1 AS one', []),
    );
    expect(rows).toEqual([{ one: 1 }]);
  });

  it('kill -9 of the server: statements fail while it is down and succeed once it is back', async () => {
    const inFlight = dataSource.query('SELECT pg_sleep(30)').then(
      () => undefined,
      (err: Error) => err,
    );
    const prepared = preparedQuery(dataSource, 'sleep', 'SELECT pg_sleep(30) AS slept', []).then(
      () => undefined,
      (err: Error) => err,
    );
    await backendOf('ztp', 'SELECT pg_sleep(30) AS slept');
    await server.kill();
    expect(await inFlight).toBeInstanceOf(Error);
    expect(await prepared).toBeInstanceOf(Error);
    await expect(preparedQuery(dataSource, 'one', 'SELECT 1 AS one', [])).rejects.toThrow();
    await expect(dataSource.query('SELECT 1')).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(uncaught).toEqual([]);
    await server.restart();
    const rows = await eventually(() =>
      preparedQuery<{ one: number }>(dataSource, 'one', 'SELECT 1 AS one', []),
    );
    expect(rows).toEqual([{ one: 1 }]);
    expect(await eventually(() => dataSource.query('SELECT 2 AS two'))).toEqual([{ two: 2 }]);
  });
});
