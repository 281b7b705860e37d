import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKeepAliveFetch,
  credentialRendezvousInfo,
  type DeviceCredential,
  FdoErrorReply,
  FdoHttpSession,
  findOwnerViaRendezvous,
  runDeviceInitialize,
  runTo2,
  type To1Route,
  To1NoRouteError,
} from '@ztp/fdo-client';
import { AuditLog, openDataSource } from '@ztp/persistence';
import { createSoftwareSigner, ErrorCode, parseGuid } from '@ztp/protocol';
import { PostgresBackend, type QueueBackend, QUEUES, RedisBackend } from '@ztp/queue';
import {
  AppProcess,
  Balancer,
  type Exit,
  findPostgresBinaries,
  freePort,
  httpStatus,
  killPostgresHard,
  runScript,
  sleep,
  ThrowawayPostgres,
  ThrowawayRedis,
  until,
} from './harness';

/**
 * The fault drill: the services as production runs them (one process per app, two owner-onboarding
 * replicas behind a balancer, the worker), on a PostgreSQL and a Redis of the tier's own, with a
 * fleet of simulated devices going through DI, TO0 (the worker), TO1 and TO2 while the drill
 * kill -9s and restarts PostgreSQL, then Redis, then kill -9s one owner-onboarding replica and
 * sends SIGTERM to the other. Then: no process exited on its own, every device that failed
 * succeeds on a retry, no queue job is left stuck, no row is half-written, every audit chain
 * verifies.
 */
/** At least this many devices; more arrive while the drill is still running. */
const DEVICES = Number(process.env['FAULTS_DEVICES'] ?? 40);
const IN_FLIGHT = 8;
/** Devices arrive one every this many ms, so the fleet is in flight through the whole drill. */
const ARRIVAL_MS = 200;

const binaries = findPostgresBinaries();
// CI and every machine that runs this tier must have them: missing binaries fail it, never skip it.
if ('missing' in binaries)
  throw new Error(`the faults tier needs PostgreSQL's server binaries: ${binaries.missing}`);

interface SimDevice {
  serial: string;
  /** When each failed attempt gave up (ms since the epoch). */
  failedAt: number[];
  credential?: DeviceCredential;
  /** The GUID after TO2 (the replacement credential's). */
  onboardedGuid?: string;
  failures: string[];
}

/**
 * The drill with the queues in `queuesOn`: Redis (production; the drill kills it too) or BullMQ's
 * PostgreSQL backend (the embedded default's shape: the readiness probe's queue ping holds a client
 * of the queue pool, which the database's death used to turn into an uncaught 'error').
 */
export function faultDrill(queuesOn: 'redis' | 'postgres', options: { skip?: string } = {}): void {
  describe.skipIf(options.skip !== undefined)(
    `fault drill: a fleet onboarding through database, Redis and replica failures (queues on ${queuesOn})`,
    () => {
      let dataDir = '';
      let postgres: ThrowawayPostgres;
      let redis: ThrowawayRedis | undefined;
      let balancer: Balancer;
      let apps: Record<
        'voucherService' | 'rendezvous' | 'onboardingA' | 'onboardingB' | 'worker',
        AppProcess
      >;
      let urls: { voucherService: string; rendezvous: string };
      let keepAlive = createKeepAliveFetch({ maxSockets: IN_FLIGHT * 2 });
      const devices: SimDevice[] = [];
      const drill: string[] = [];
      let inFlight = 0;
      let passed = false;
      const note = (line: string) => drill.push(`${new Date().toISOString().slice(11, 23)} ${line}`);

      beforeAll(async () => {
        const setupStarted = Date.now();
        dataDir = mkdtempSync(join(tmpdir(), 'ztp-faults-'));
        [postgres, redis] = await Promise.all([
          ThrowawayPostgres.start(),
          queuesOn === 'redis' ? ThrowawayRedis.start() : undefined,
        ]);
        const [rvPort, vsPort, ooPortA, ooPortB, workerPort] = await Promise.all([
          freePort(),
          freePort(),
          freePort(),
          freePort(),
          freePort(),
        ]);
        balancer = new Balancer([ooPortA, ooPortB]);
        await balancer.listen();
        urls = { rendezvous: `http://127.0.0.1:${rvPort}`, voucherService: `http://127.0.0.1:${vsPort}` };
        const masterKey = randomBytes(32).toString('base64');
        const env = (ooPort: number): NodeJS.ProcessEnv => ({
          PATH: process.env['PATH'],
          HOME: process.env['HOME'],
          NODE_ENV: 'test',
          LOG_LEVEL: 'info',
          DATABASE_URL: postgres.url,
          ...(redis ? { REDIS_URL: redis.url } : {}),
          QUEUE_PREFIX: 'faults',
          DATA_DIR: dataDir,
          KEY_CUSTODY_MASTER_KEY: masterKey,
          RENDEZVOUS_PORT: String(rvPort),
          VOUCHER_SERVICE_PORT: String(vsPort),
          OWNER_ONBOARDING_PORT: String(ooPort),
          // The worker's health and metrics port: never the default 8043, which anything may hold.
          WORKER_PORT: String(workerPort),
          RENDEZVOUS_PUBLIC_URL: urls.rendezvous,
          VOUCHER_SERVICE_PUBLIC_URL: urls.voucherService,
          // What TO0 registers for the demo owner: the balancer in front of both replicas.
          OWNER_ONBOARDING_PUBLIC_URL: balancer.url,
          DEMO_SEED: 'on',
          RENDEZVOUS_DEFAULT_POLICY: 'open',
          // Limits stay on (their counters live in Redis, which the drill kills) but every device of
          // the fleet comes from 127.0.0.1 and retries TO1 while its TO0 is on its way.
          RENDEZVOUS_RATE_LIMIT_PER_ADDRESS: '1000000',
          RENDEZVOUS_RATE_LIMIT_PER_GUID: '10000',
          TO0_SCAN_INTERVAL_SECONDS: '2',
          TO0_RETRY_BASE_SECONDS: '1',
          TO0_RETRY_MAX_SECONDS: '2',
          SHUTDOWN_TIMEOUT_MS: '10000',
        });
        const migrated = await runScript('libs/platform/src/cli/migrate.ts', env(ooPortA));
        expect(migrated.code, migrated.output).toBe(0);
        const app = (name: string, entry: string, port: number | undefined, ooPort = ooPortA) =>
          new AppProcess(
            name,
            entry,
            env(ooPort),
            port === undefined ? undefined : `http://127.0.0.1:${port}/health/ready`,
            'worker started',
          );
        apps = {
          voucherService: app('voucher-service', 'apps/voucher-service/src/main.ts', vsPort),
          rendezvous: app('rendezvous', 'apps/rendezvous/src/main.ts', rvPort),
          onboardingA: app('owner-onboarding A', 'apps/owner-onboarding/src/main.ts', ooPortA, ooPortA),
          onboardingB: app('owner-onboarding B', 'apps/owner-onboarding/src/main.ts', ooPortB, ooPortB),
          worker: app('worker', 'apps/worker/src/main.ts', undefined),
        };
        // The voucher service seeds the demo tenants at its start; devices come only once all are up.
        await Promise.all(Object.values(apps).map((a) => a.start()));
        note(`apps started in ${Date.now() - setupStarted} ms`);
      });

      afterAll(async () => {
        keepAlive.close();
        // A failed drill shows what the database was busy with (a stall: who waits on whom).
        if (!passed && postgres?.pid !== undefined) {
          const client = new pg.Client({ connectionString: postgres.url });
          client.on('error', () => undefined);
          try {
            await client.connect();
            const { rows } = await client.query(
              `SELECT application_name, state, wait_event_type, wait_event, pg_blocking_pids(pid) AS blocked_by,
                      now() - xact_start AS in_transaction, left(query, 160) AS query
                 FROM pg_stat_activity WHERE state IS DISTINCT FROM 'idle' AND pid <> pg_backend_pid()`,
            );
            console.log(
              `--- PostgreSQL sessions not idle ---\n${rows.map((r) => JSON.stringify(r)).join('\n')}`,
            );
          } catch (err) {
            console.log(`--- PostgreSQL sessions: ${(err as Error).message}`);
          } finally {
            await client.end().catch(() => undefined);
          }
        }
        await Promise.all(Object.values(apps ?? {}).map((a) => a.stop()));
        await balancer?.close();
        await Promise.all([postgres?.stop(), redis?.stop()]);
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
        if (drill.length > 0) console.log(`fault drill:\n  ${drill.join('\n  ')}`);
        // A failed drill shows what the apps said last.
        if (!passed)
          for (const a of Object.values(apps ?? {}))
            console.log(`--- ${a.name} (last lines) ---\n${a.output(25)}`);
      });

      /** One attempt at a device's life: DI unless it has its credential, TO1 (waiting for TO0), TO2. */
      async function onboard(device: SimDevice, to0WaitMs: number): Promise<void> {
        device.credential ??= await runDeviceInitialize({
          session: new FdoHttpSession({
            baseUrl: urls.voucherService,
            fetch: keepAlive.fetch,
            timeoutMs: 15_000,
          }),
          serialNumber: device.serial,
          deviceInfo: 'faults',
          keySpec: 'P-256',
        });
        const route = await firstBootRoute(device.credential, to0WaitMs);
        const outcome = await runTo2({
          session: new FdoHttpSession({
            baseUrl: route.to2Urls[0]!,
            fetch: keepAlive.fetch,
            timeoutMs: 15_000,
          }),
          credential: device.credential,
          to1d: route.to1d,
        });
        device.onboardedGuid = outcome.credential.guid;
      }

      /** TO1, again every 250 ms for up to to0WaitMs while the owner's TO0 has not registered the device yet. */
      async function firstBootRoute(credential: DeviceCredential, to0WaitMs: number): Promise<To1Route> {
        const deadline = Date.now() + to0WaitMs;
        const signer = {
          guid: parseGuid(credential.guid),
          signer: createSoftwareSigner(credential.privateKey),
        };
        for (;;) {
          try {
            return await findOwnerViaRendezvous(credentialRendezvousInfo(credential), signer, {
              fetch: keepAlive.fetch,
              timeoutMs: 15_000,
            });
          } catch (err) {
            const notYet =
              err instanceof To1NoRouteError &&
              err.attempts.every(
                (a) => a.error instanceof FdoErrorReply && a.error.code === ErrorCode.ResourceNotFound,
              );
            if (!notYet || Date.now() > deadline) throw err;
            await sleep(250);
          }
        }
      }

      async function attempt(device: SimDevice, to0WaitMs = 30_000): Promise<boolean> {
        try {
          await onboard(device, to0WaitMs);
          return true;
        } catch (err) {
          device.failures.push((err as Error).message.slice(0, 300));
          device.failedAt.push(Date.now());
          return false;
        }
      }

      async function allReady(): Promise<void> {
        for (const a of [apps.voucherService, apps.rendezvous, apps.onboardingA, apps.onboardingB]) {
          const url = a.readyUrl!;
          await until(
            `${a.name} ready again`,
            async () => {
              if (!a.running)
                throw new Error(`${a.name} exited on its own:\n${a.exits.at(-1)?.output ?? ''}`);
              return (await httpStatus(url)) === 200;
            },
            30_000,
          );
        }
      }

      /** The drill, run while the fleet is in flight. */
      async function runDrill(): Promise<{
        readinessWhileDatabaseDown: number[];
        sigterm: Exit;
        sigtermMs: number;
        sigtermWindow: [number, number];
      }> {
        await sleep(2500);
        // Statements of every kind the fleet sends are held on table locks, so each app has clients
        // checked out of its pool, mid-statement, when the server dies: the moment that crashed
        // owner-onboarding when a pg client had no 'error' listener.
        const locker = new pg.Client({ connectionString: postgres.url });
        locker.on('error', () => undefined);
        await locker.connect();
        // With the queues in PostgreSQL the readiness probes' queue pings (a client checked out of the
        // queue pool, where pg-pool listens for nothing) wait on the queue schema's table too.
        const held = ['voucher', 'to2_session', 'di_session', 'rv_registration', 'to0_state'];
        if (!redis) held.push('bullmq.migration');
        // The apps' transactions hold some of these: taking them all may deadlock; then again.
        for (let attempt = 1; ; attempt++) {
          await locker.query('BEGIN');
          try {
            await locker.query(`LOCK TABLE ${held.join(', ')} IN ACCESS EXCLUSIVE MODE`);
            break;
          } catch (err) {
            await locker.query('ROLLBACK');
            if (attempt === 20) throw err;
            await sleep(50);
          }
        }
        const probes = [apps.voucherService, apps.rendezvous, apps.onboardingA, apps.onboardingB].map((a) =>
          httpStatus(a.readyUrl!, 10_000),
        );
        let waiting: { application_name: string; n: number }[] = [];
        await until(
          'statements of the apps wait on the locks',
          async () => {
            waiting = (
              await locker.query<{ application_name: string; n: number }>(
                `SELECT application_name, count(*)::int AS n FROM pg_stat_activity
              WHERE wait_event_type = 'Lock' GROUP BY application_name`,
              )
            ).rows;
            const queuePings = waiting.find((row) => row.application_name === 'ztp-queues')?.n ?? 0;
            return (
              waiting.reduce((sum, row) => sum + row.n, 0) >= 3 && (redis !== undefined || queuePings > 0)
            );
          },
          5000,
        ).catch(() => undefined);
        note(`kill -9 PostgreSQL and its backends; waiting on locks: ${JSON.stringify(waiting)}`);
        await killPostgresHard(postgres);
        await Promise.all(probes);
        const readinessWhileDatabaseDown: number[] = [];
        for (const a of [apps.rendezvous, apps.onboardingA]) {
          readinessWhileDatabaseDown.push(await httpStatus(a.readyUrl!, 5000));
        }
        await sleep(1500);
        await postgres.restart();
        note('PostgreSQL restarted');
        await allReady();
        note('all apps ready');

        if (redis) {
          await sleep(1500);
          note('kill -9 Redis');
          await redis.kill();
          await sleep(2000);
          await redis.restart();
          note('Redis restarted');
          await allReady();
          note('all apps ready');
        }

        await sleep(1500);
        note('kill -9 owner-onboarding A');
        await apps.onboardingA.signal('SIGKILL');
        // B serves every device while A starts again, as a crashed pod is restarted.
        await apps.onboardingA.start();
        note('owner-onboarding A restarted');

        await sleep(1000);
        note(`SIGTERM owner-onboarding B (${inFlight} devices in flight)`);
        const started = Date.now();
        const sigterm = await apps.onboardingB.signal('SIGTERM');
        const sigtermMs = Date.now() - started;
        note(`owner-onboarding B exited ${sigterm.code ?? sigterm.signal} after ${sigtermMs} ms`);
        await apps.onboardingB.start();
        note('owner-onboarding B restarted');
        return {
          readinessWhileDatabaseDown,
          sigterm,
          sigtermMs,
          sigtermWindow: [started, started + sigtermMs + 1000],
        };
      }

      it('onboards every device through the drill; every failure succeeds on a retry; nothing is left broken', async () => {
        const started = Date.now();
        // The fleet: a device arrives every ARRIVAL_MS, IN_FLIGHT at most at a time, each attempted
        // once, until the drill is over and at least DEVICES have come.
        const failed: SimDevice[] = [];
        let drillOver = false;
        const fleet = Promise.all(
          Array.from({ length: IN_FLIGHT }, async () => {
            for (;;) {
              if (drillOver && devices.length >= DEVICES) return;
              const device: SimDevice = {
                serial: `FAULTS-${String(devices.length).padStart(3, '0')}`,
                failures: [],
                failedAt: [],
              };
              const due = started + devices.length * ARRIVAL_MS;
              devices.push(device);
              if (due > Date.now()) await sleep(due - Date.now());
              inFlight++;
              const ok = await attempt(device);
              inFlight--;
              if (!ok) failed.push(device);
            }
          }),
        );
        const drillResult = await runDrill().finally(() => (drillOver = true));
        await fleet;
        note(
          `first pass: ${devices.length - failed.length}/${devices.length} onboarded; retrying ${failed.length}`,
        );

        // 503 (not a hang, not a crash) while the database was gone.
        expect(drillResult.readinessWhileDatabaseDown).toEqual([503, 503]);
        // SIGTERM is a clean stop: exit 0 once in-flight requests are answered, within SHUTDOWN_TIMEOUT_MS.
        expect(drillResult.sigterm.code, drillResult.sigterm.output).toBe(0);
        expect(drillResult.sigtermMs).toBeLessThan(10_000);
        expect(drillResult.sigterm.output).toContain('"msg":"Stopped"');
        const [from, to] = drillResult.sigtermWindow;
        const duringSigterm = failed.filter((d) => d.failedAt.some((at) => at >= from && at <= to));
        note(
          `devices failing while B drained: ${duringSigterm.map((d) => `${d.serial}: ${d.failures[0]}`).join('; ') || 'none'}`,
        );

        // Every device that failed succeeds on a retry, now that everything is back.
        await allReady();
        // A DI that committed as the database died leaves its transfer to the owner unsigned until
        // the voucher service's sweep (every 30 s, for transfers older than 30 s) signs it: only then
        // is the device the owner's and registered by TO0, so a retry may wait up to a minute and more.
        // Fresh connections: a pooled one idle past the server's keep-alive timeout may be closed by
        // the server just as it is reused (socket hang up), which is HTTP, not the drill.
        keepAlive.close();
        keepAlive = createKeepAliveFetch({ maxSockets: IN_FLIGHT * 2 });
        const retried = await Promise.all(failed.map((device) => attempt(device, 100_000)));
        const stillFailing = failed.filter((_, i) => !retried[i]);
        expect(
          stillFailing.map((d) => `${d.serial}: ${d.failures.join(' | ')}`),
          'devices that failed their retry',
        ).toEqual([]);
        expect(devices.filter((d) => !d.onboardedGuid).map((d) => d.serial)).toEqual([]);
        note(`failures seen: ${failed.map((d) => `${d.serial}: ${d.failures[0]}`).join('\n    ') || 'none'}`);

        // No process exited on its own.
        const unexpected = Object.values(apps).flatMap((a) =>
          a.exits
            .filter((e) => !e.expected)
            .map((e) => `${a.name} exited (${e.code ?? e.signal}):\n${e.output}`),
        );
        expect(unexpected).toEqual([]);
        expect(
          Object.values(apps)
            .filter((a) => !a.running)
            .map((a) => a.name),
        ).toEqual([]);

        await assertNoStuckJobs();
        await assertLedgerWhole();
        note(`drill done in ${Date.now() - started} ms`);
        passed = true;
      });

      /** Nothing waits or runs with no one to finish it: the queues drain to their schedulers' next runs. */
      async function assertNoStuckJobs(): Promise<void> {
        const backend: QueueBackend = redis
          ? new RedisBackend(redis.url, 'faults')
          : new PostgresBackend({ url: postgres.url });
        const queues = QUEUES.map((q) => backend.createQueue(q));
        try {
          let counts: Record<string, Record<string, number>> = {};
          await until(
            'queues drained (no job waiting or active)',
            async () => {
              counts = {};
              for (const queue of queues)
                counts[queue.name] = await queue.getJobCounts(
                  'active',
                  'wait',
                  'prioritized',
                  'waiting-children',
                );
              return Object.values(counts).every((c) => Object.values(c).every((n) => n === 0));
            },
            20_000,
          ).catch((err: Error) => {
            throw new Error(`${err.message}: ${JSON.stringify(counts)}`);
          });
        } finally {
          await Promise.all(queues.map((queue) => queue.close()));
          await backend.close();
        }
      }

      /** Every change the drill interrupted either happened whole or not at all. */
      async function assertLedgerWhole(): Promise<void> {
        const dataSource: DataSource = await openDataSource({ url: postgres.url, poolSize: 2 });
        const client = new pg.Client({ connectionString: postgres.url });
        await client.connect();
        const rows = async (sql: string, values: unknown[] = []) => (await client.query(sql, values)).rows;
        try {
          // Every device has exactly one live voucher (DI and TO2 Done write device and voucher together).
          expect(
            await rows(`SELECT d.serial_number, d.guid, count(v.id)::int AS vouchers FROM device d
          LEFT JOIN voucher v ON v.device_id = d.id AND v.status = 'active' AND v.deleted_at IS NULL
          GROUP BY d.id HAVING count(v.id) <> 1`),
          ).toEqual([]);
          // Each fleet device is onboarded once, under the GUID its replacement credential carries.
          const onboarded = await rows(
            `SELECT d.serial_number, d.guid, d.lifecycle, v.guid AS voucher_guid, v.replaces_voucher_id IS NOT NULL AS replacement
           FROM device d JOIN voucher v ON v.device_id = d.id AND v.status = 'active'
          WHERE d.serial_number LIKE 'FAULTS-%' AND d.lifecycle = 'onboarded' ORDER BY d.serial_number`,
          );
          expect(onboarded.map((r: { serial_number: string }) => r.serial_number)).toEqual(
            devices.map((d) => d.serial),
          );
          for (const device of devices)
            expect(
              onboarded.find((r: { serial_number: string }) => r.serial_number === device.serial),
            ).toMatchObject({
              guid: device.onboardedGuid,
              voucher_guid: device.onboardedGuid,
              replacement: true,
            });
          // One device.onboarded event per onboarding, none for a Done that did not commit.
          expect(
            await rows(`SELECT subject, count(*)::int FROM audit_event WHERE event_type = 'device.onboarded'
          GROUP BY subject HAVING count(*) <> 1`),
          ).toEqual([]);
          expect(
            (
              await rows(`SELECT count(*)::int AS n FROM audit_event WHERE event_type = 'device.onboarded'`)
            )[0].n,
          ).toBe(devices.length);
          // Every voucher a device lost to TO2 was replaced by exactly one.
          expect(
            await rows(`SELECT replaces_voucher_id, count(*)::int FROM voucher WHERE replaces_voucher_id IS NOT NULL
          GROUP BY replaces_voucher_id HAVING count(*) <> 1`),
          ).toEqual([]);
          // Every audit chain verifies.
          const audit = new AuditLog();
          const tenants = (await rows(`SELECT id, slug FROM tenant`)) as { id: string; slug: string }[];
          expect(tenants.length).toBeGreaterThanOrEqual(2);
          for (const tenant of tenants) {
            const report = await audit.verifyChain(dataSource.manager, tenant.id);
            expect({ tenant: tenant.slug, ...report }).toMatchObject({ tenant: tenant.slug, valid: true });
          }
        } finally {
          await client.end();
          await dataSource.destroy();
        }
      }
    },
  );
}
