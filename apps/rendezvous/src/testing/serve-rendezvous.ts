import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@ztp/config';
import { createTestDatabase } from '@ztp/persistence';
import { createApp, createRootLogger, NestLoggerAdapter, runMain, startRuntime } from '@ztp/platform';
import { RENDEZVOUS_APP } from '../rendezvous.app';
import { bootRendezvous } from './boot-rendezvous';

/**
 * The rendezvous app for the benchmark, in a process of its own: on a fresh test database (see
 * bootRendezvous), RENDEZVOUS_* and LOG_LEVEL from the environment applied. Prints one JSON line
 * `{"url","pids"}` once it listens, stops on SIGTERM.
 *
 * BENCH_RV_WORKERS=N (N > 1, DATABASE_URL required) runs N replicas of the app as node:cluster
 * workers sharing one port, on one database: how a stateless rendezvous uses a node's cores. `pids`
 * lists every process serving, so the benchmark can sum their CPU.
 */
const workers = Number(process.env['BENCH_RV_WORKERS'] ?? 1);
const settings = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => /^(RENDEZVOUS_|LOG_LEVEL$)/.test(name)),
);

runMain(async () => {
  if (workers <= 1) {
    const rv = await bootRendezvous(settings);
    process.stdout.write(`${JSON.stringify({ url: rv.url, pids: [process.pid] })}\n`);
    process.once('SIGTERM', () => void rv.close().then(() => process.exit(0)));
  } else if (cluster.isPrimary) {
    await serveCluster();
  } else {
    await serveReplica();
  }
});

async function serveCluster(): Promise<void> {
  if (!process.env['DATABASE_URL'])
    throw new Error('BENCH_RV_WORKERS needs DATABASE_URL (one shared database)');
  const database = await createTestDatabase({ migrate: true });
  const env = {
    BENCH_REPLICA_DATABASE_URL: database.url,
    KEY_CUSTODY_MASTER_KEY: randomBytes(32).toString('base64'),
    QUEUE_PREFIX: `b${randomBytes(4).toString('hex')}`,
  };
  const replicas = Array.from({ length: workers }, () => cluster.fork(env));
  const ports = await Promise.all(
    replicas.map(
      (replica) => new Promise<number>((resolve) => replica.once('message', (port: number) => resolve(port))),
    ),
  );
  process.stdout.write(
    `${JSON.stringify({
      url: `http://127.0.0.1:${ports[0]}`,
      pids: [process.pid, ...replicas.map((replica) => replica.process.pid)],
    })}\n`,
  );
  process.once('SIGTERM', () => {
    for (const replica of replicas) replica.kill('SIGTERM');
    void Promise.all(replicas.map((replica) => new Promise((resolve) => replica.once('exit', resolve))))
      .then(() => database.drop())
      .finally(() => process.exit(0));
  });
}

async function serveReplica(): Promise<void> {
  const config = loadConfig({
    ...settings,
    DATABASE_URL: process.env['BENCH_REPLICA_DATABASE_URL'],
    REDIS_URL: process.env['REDIS_URL'],
    KEY_CUSTODY_MASTER_KEY: process.env['KEY_CUSTODY_MASTER_KEY'],
    QUEUE_PREFIX: process.env['QUEUE_PREFIX'],
  });
  const logger = createRootLogger(config, 'rendezvous-bench');
  const runtime = await startRuntime(config, logger, { migrate: false });
  const app = await createApp(RENDEZVOUS_APP, runtime, new NestLoggerAdapter(logger));
  // Port 0 in every worker: node:cluster hands them all the same listening socket.
  await app.listen(0, '127.0.0.1');
  process.send!((app.getHttpServer().address() as { port: number }).port);
  process.once(
    'SIGTERM',
    () =>
      void app
        .close()
        .then(() => runtime.close())
        .finally(() => process.exit(0)),
  );
}
