import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { loadConfig } from '@ztp/config';
import {
  createKeepAliveFetch,
  type DeviceCredential,
  type Fetch,
  FdoHttpSession,
  runTo0,
  runTo1,
  runTo2,
} from '@ztp/fdo-client';
import {
  ConfigBundleEntity,
  createTestDatabase,
  DeviceEntity,
  encodeOwnerProgram,
  ENTITIES,
  type TestDatabase,
  VoucherEntity,
} from '@ztp/persistence';
import { createApp, createRootLogger, NestLoggerAdapter, runMain, startRuntime } from '@ztp/platform';
import { createCsr, parseCsr } from '@ztp/pki';
import {
  buildRendezvousInfo,
  buildRvTo2Addr,
  computeFdoHash,
  computeFdoHmac,
  createSoftwareSigner,
  createVoucher,
  encodeOvHeader,
  encodePublicKey,
  encodeRendezvousInfo,
  extendVoucher,
  guidToHex,
  HashAlg,
  KexSuite,
  newGuid,
  RawCbor,
  type Signer,
} from '@ztp/protocol';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { DataSource } from 'typeorm';
import { OWNER_ONBOARDING_APP } from '../apps/owner-onboarding/src/owner-onboarding.app';
import {
  createOwner,
  testCustody,
  testKey,
  testManufacturer,
  type TestOwner,
} from '../apps/owner-onboarding/src/testing/onboarding-fixtures';
import { RENDEZVOUS_APP } from '../apps/rendezvous/src/rendezvous.app';
import { type PostgresCpu, postgresCpu, postgresCpuSince, processCpuMs } from './process-cpu';
import { type BenchCase } from './types';

/**
 * `onboard.fdo`: complete first-boot onboardings per second, TO1 (30-33 at rendezvous) then TO2
 * (60-71 at owner-onboarding), each by another device, 32 devices in flight. Devices: P-256 keys
 * (ES256), ECDH256, A128GCM, ServiceInfo = devmod only (no owner modules: each device's bundle is
 * empty, rendered before the run), a new Owner2Key per device and the replacement voucher written
 * to the ledger at Done. rendezvous and owner-onboarding run in one child process (their own event
 * loop; on DATABASE_URL when set, else on an embedded PostgreSQL server in that process); this process runs the
 * devices. server_cpu_ms_per_op is that child's CPU per onboarding, client_cpu_ms_per_op this
 * process's, db_cpu_ms_per_op the PostgreSQL server processes' (when readable, DATABASE_URL only).
 * BENCH_ONBOARD_DEVICES sets the fleet size (each device onboards once); BENCH_CPU_PROF=<file>
 * writes a CPU profile of the server during the timed run; BENCH_COUNT_STATEMENTS=1 adds
 * statements_per_op (every query the server's pg clients sent, BEGIN/COMMIT and queue polling
 * included) and prints the most frequent statements to stderr.
 *
 * Measured on the idle 2-core development machine with PostgreSQL on loopback: 90-137 onboardings/s,
 * p50 230-350 ms, p99 300-450 ms (32 in flight, so latency is mostly queueing); per onboarding about
 * 7-10 ms of server CPU, 4-6 ms of client CPU and 2-3 ms in PostgreSQL, 10 SQL statements. The three together
 * saturate both cores: the 300/s goal would need them within 6.7 ms (see ARCHITECTURE.md, Known limits).
 */
const CONCURRENCY = 32;
const DEVICES = Number(process.env['BENCH_ONBOARD_DEVICES'] ?? 2400);
const ROLE = 'ONBOARDING_BENCH_ROLE';
const STATEMENTS_FILE = process.env['BENCH_COUNT_STATEMENTS']
  ? join(tmpdir(), `ztp-bench-statements-${process.pid}.json`)
  : undefined;

/* ----------------------------- the server (child process) ----------------------------------- */

async function serve(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-bench-onboarding-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    DATABASE_URL: process.env['BENCH_DATABASE_URL'],
    REDIS_URL: process.env['REDIS_URL'],
    KEY_CUSTODY_MASTER_KEY: process.env['BENCH_MASTER_KEY'],
    QUEUE_PREFIX: `bench${randomBytes(3).toString('hex')}`,
    LOG_LEVEL: 'warn',
    RENDEZVOUS_DEFAULT_POLICY: 'open',
    RENDEZVOUS_RATE_LIMIT_PER_ADDRESS: '0',
    RENDEZVOUS_RATE_LIMIT_PER_GUID: '0',
  });
  const logger = createRootLogger(config, 'bench');
  const runtime = await startRuntime(config, logger, { migrate: true });
  const apps: NestExpressApplication[] = [];
  const urls: string[] = [];
  for (const descriptor of [RENDEZVOUS_APP, OWNER_ONBOARDING_APP]) {
    const app = await createApp(descriptor, runtime, new NestLoggerAdapter(logger));
    await app.listen(0, '127.0.0.1');
    apps.push(app);
    urls.push(`http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`);
  }
  process.stdout.write(
    `${JSON.stringify({ rendezvous: urls[0], ownerOnboarding: urls[1], databaseUrl: runtime.database.url })}\n`,
  );
  const profiler = await startProfiler();
  countStatements();
  process.once('SIGTERM', () => {
    void profiler()
      .then(() => Promise.all(apps.map((app) => app.close())))
      .then(() => runtime.close())
      .finally(() => {
        rmSync(dataDir, { recursive: true, force: true });
        process.exit(0);
      });
  });
}

/**
 * BENCH_CPU_PROF=<file>: a V8 CPU profile of the server process from the first timed onboarding
 * (the client sends SIGUSR2) until it stops.
 */
async function startProfiler(): Promise<() => Promise<void>> {
  const file = process.env['BENCH_CPU_PROF'];
  if (!file) return async () => undefined;
  const session = new Session();
  session.connect();
  const post = (method: string) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, (err, result) => (err ? reject(err) : resolve(result))),
    );
  await post('Profiler.enable');
  let started = false;
  process.once('SIGUSR2', () => {
    started = true;
    void post('Profiler.start');
  });
  return async () => {
    if (!started) return;
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(file, JSON.stringify(profile));
  };
}

/**
 * BENCH_COUNT_STATEMENTS: counts the statements every pg client of the server sends, from the first
 * timed onboarding (SIGUSR2) on; on SIGUSR1 writes the count and the most frequent statements to
 * BENCH_STATEMENTS_FILE for the devices' side to read.
 */
function countStatements(): void {
  const file = process.env['BENCH_STATEMENTS_FILE'];
  if (!file) return;
  const byText = new Map<string, number>();
  let total = 0;
  let counting = false;
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    if (counting) {
      total++;
      const first = args[0];
      const text = typeof first === 'string' ? first : ((first as { text?: string })?.text ?? '?');
      const key = text.replace(/\s+/g, ' ').trim().slice(0, 90);
      byText.set(key, (byText.get(key) ?? 0) + 1);
    }
    return query.apply(this, args);
  } as typeof pg.Client.prototype.query;
  process.on('SIGUSR2', () => {
    counting = true;
  });
  process.on('SIGUSR1', () => {
    const top = [...byText].sort((a, b) => b[1] - a[1]).slice(0, 40);
    writeFileSync(`${file}.part`, JSON.stringify({ total, top }));
    renameSync(`${file}.part`, file);
  });
}

if (process.env[ROLE] === 'server') runMain(serve);

/* ------------------------------------ the devices ------------------------------------------- */

interface Server {
  child: ChildProcess;
  rendezvous: string;
  ownerOnboarding: string;
  databaseUrl: string;
}

async function startServer(masterKey: string, databaseUrl: string | undefined): Promise<Server> {
  const child = spawn(
    process.execPath,
    ['--import', '@swc-node/register/esm-register', 'bench/onboarding.bench.ts'],
    {
      cwd: new URL('../', import.meta.url).pathname,
      env: {
        ...process.env,
        [ROLE]: 'server',
        BENCH_MASTER_KEY: masterKey,
        ...(databaseUrl ? { BENCH_DATABASE_URL: databaseUrl } : {}),
        ...(STATEMENTS_FILE ? { BENCH_STATEMENTS_FILE: STATEMENTS_FILE } : {}),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  for await (const line of createInterface({ input: child.stdout! }))
    if (line.startsWith('{"rendezvous"')) return { child, ...(JSON.parse(line) as Omit<Server, 'child'>) };
  throw new Error('the onboarding bench server exited before listening');
}

async function stopServer(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

interface Device {
  guid: Uint8Array;
  signer: Signer;
  credential: DeviceCredential;
}

interface Ctx {
  server: Server;
  database: TestDatabase | undefined;
  fetch: Fetch;
  closeConnections: () => void;
  devices: Device[];
  next: number;
  cpu: { server: number; client: number; db: PostgresCpu | undefined; calls: number } | undefined;
}

/** DEVICES devices after DI whose vouchers the owner holds and registered at rendezvous. */
async function provision(server: Server, masterKey: string): Promise<Device[]> {
  const dataSource = await new DataSource({
    type: 'postgres',
    url: server.databaseUrl,
    entities: ENTITIES,
    poolSize: 4,
  }).initialize();
  try {
    const custody = testCustody(dataSource, masterKey);
    const owner = await createOwner(dataSource, custody, { slug: 'bench-owner' });
    const manufacturer = await testManufacturer('P-256');
    const deviceKey = testKey('P-256', 'device');
    const deviceCertificate = await manufacturer.issuer.issueFromCsr(
      { keyId: manufacturer.caKeyId, certificate: manufacturer.caCertificate },
      await parseCsr(
        await createCsr({ signer: createSoftwareSigner(deviceKey), subject: { commonName: 'bench' } }),
      ),
      { kind: 'device-identity', deviceSerial: 'bench', validityDays: 365 },
    );
    const chain = [deviceCertificate, manufacturer.caCertificate];
    const rvPort = Number(new URL(server.rendezvous).port);
    const rendezvousInfo = encodeRendezvousInfo(
      buildRendezvousInfo([{ ip: '127.0.0.1', port: rvPort, protocol: 'http' }]),
    );
    const manufacturerKey = encodePublicKey(manufacturer.key);
    const manufacturerSigner = createSoftwareSigner(manufacturer.key);
    const devices: Device[] = [];
    const ownerSigner = await custody.signer(owner.ownerKeyId);
    const { fetch, close: closeConnections } = createKeepAliveFetch({ maxSockets: CONCURRENCY * 2 });
    const to2Address = buildRvTo2Addr({
      ip: '127.0.0.1',
      port: Number(new URL(server.ownerOnboarding).port),
      protocol: 'http',
    });
    const emptyProgram = Buffer.from(encodeOwnerProgram({ steps: [] }));
    for (let start = 0; start < DEVICES; start += 200) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(200, DEVICES - start) }, () => provisionOne()),
      );
      await insertBatch(dataSource, owner, batch, emptyProgram);
      for (let i = 0; i < batch.length; i += CONCURRENCY)
        await Promise.all(
          batch.slice(i, i + CONCURRENCY).map((device) =>
            runTo0(new FdoHttpSession({ baseUrl: server.rendezvous, fetch }), {
              voucher: device.voucher,
              ownerSigner,
              to2Addresses: [to2Address],
              waitSeconds: 3600,
            }),
          ),
        );
      devices.push(...batch.map((device) => device.device));
    }
    closeConnections();
    return devices;

    async function provisionOne() {
      const guid = newGuid();
      const header = encodeOvHeader({
        guid,
        rendezvousInfo: new RawCbor(rendezvousInfo),
        deviceInfo: 'bench device',
        manufacturerKey,
        certChainHash: computeFdoHash(HashAlg.SHA256, chain),
      });
      const hmacSecret = new Uint8Array(randomBytes(32));
      const voucher = await extendVoucher(
        createVoucher({
          header,
          headerHmac: computeFdoHmac(HashAlg.HMAC_SHA256, hmacSecret, header.bytes),
          deviceCertChain: chain,
        }),
        manufacturerSigner,
        owner.ownerPublicKey,
        { verify: false },
      );
      const device: Device = {
        guid,
        signer: createSoftwareSigner(deviceKey),
        credential: {
          active: true,
          protocolVersion: 101,
          guid: guidToHex(guid),
          deviceInfo: 'bench device',
          serialNumber: '',
          rendezvousInfo,
          manufacturerKeyHash: computeFdoHash(HashAlg.SHA256, manufacturerKey.bytes),
          hmacSecret,
          privateKey: deviceKey,
          deviceCertChainHash: header.certChainHash,
          kexSuite: KexSuite.ECDH256,
          cipherSuite: 'A128GCM',
        },
      };
      return { device, voucher };
    }
  } finally {
    await dataSource.destroy();
  }
}

async function insertBatch(
  dataSource: DataSource,
  owner: TestOwner,
  batch: { device: Device; voucher: { bytes: Uint8Array } }[],
  emptyProgram: Buffer,
): Promise<void> {
  const ownerKeySha256 = (
    (await dataSource.query(`SELECT public_key_sha256 FROM owner_key WHERE custody_key_id = $1`, [
      owner.ownerKeyId,
    ])) as {
      public_key_sha256: string;
    }[]
  )[0]!.public_key_sha256;
  await dataSource.transaction(async (manager) => {
    const devices = await manager.getRepository(DeviceEntity).insert(
      batch.map(({ device }) => ({
        manufacturerTenantId: null,
        serialNumber: null,
        deviceInfo: 'bench device',
        guid: device.credential.guid,
        originalGuid: device.credential.guid,
        lifecycle: 'owned' as const,
      })),
    );
    const ids = devices.identifiers.map((identifier) => (identifier as { id: string }).id);
    await manager.getRepository(VoucherEntity).insert(
      batch.map(({ device, voucher }, i) => ({
        deviceId: ids[i]!,
        guid: device.credential.guid,
        cbor: Buffer.from(voucher.bytes),
        numEntries: 1,
        ownerKeySha256,
        holderTenantId: owner.tenant.id,
        status: 'active' as const,
        replacesVoucherId: null,
        deletedAt: null,
      })),
    );
    // Each device's bundle, rendered before it arrives (an empty plan: devmod only).
    await manager.getRepository(ConfigBundleEntity).insert(
      ids.map((deviceId) => ({
        deviceId,
        ownerTenantId: owner.tenant.id,
        planId: null,
        planRevision: null,
        revision: 1,
        stale: false,
        steps: emptyProgram,
        summary: [],
        deliveryStatus: 'queued' as const,
        statusDetail: null,
        results: null,
        renderedAt: new Date(),
        deliveryStartedAt: null,
        deliveredAt: null,
      })),
    );
  });
}

async function setup(): Promise<Ctx> {
  const masterKey = randomBytes(32).toString('base64');
  const database = process.env['DATABASE_URL'] ? await createTestDatabase({ migrate: false }) : undefined;
  const server = await startServer(masterKey, database?.url);
  try {
    const devices = await provision(server, masterKey);
    const { fetch, close: closeConnections } = createKeepAliveFetch({ maxSockets: CONCURRENCY * 2 });
    return { server, database, fetch, closeConnections, devices, next: 0, cpu: undefined };
  } catch (err) {
    await stopServer(server);
    await database?.drop();
    throw err;
  }
}

function countCall(ctx: Ctx): void {
  if (ctx.cpu) ctx.cpu.calls++;
  else {
    if (process.env['BENCH_CPU_PROF'] || STATEMENTS_FILE) ctx.server.child.kill('SIGUSR2');
    ctx.cpu = {
      server: processCpuMs(ctx.server.child.pid!),
      client: process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000,
      db: process.env['DATABASE_URL'] ? postgresCpu() : undefined,
      calls: 0,
    };
  }
}

function cpuPerOp(ctx: Ctx): Record<string, number> {
  if (!ctx.cpu || ctx.cpu.calls === 0) return {};
  const usage = process.cpuUsage();
  const per = (ms: number) => Number((ms / ctx.cpu!.calls).toFixed(3));
  return {
    server_cpu_ms_per_op: per(processCpuMs(ctx.server.child.pid!) - ctx.cpu.server),
    client_cpu_ms_per_op: per(usage.user / 1000 + usage.system / 1000 - ctx.cpu.client),
    ...(ctx.cpu.db ? { db_cpu_ms_per_op: per(postgresCpuSince(ctx.cpu.db)) } : {}),
    ...statementsPerOp(ctx.server, ctx.cpu.calls),
  };
}

/** BENCH_COUNT_STATEMENTS: asks the server for its statement count (extra() is synchronous, so it waits by polling). */
function statementsPerOp(server: Server, calls: number): Record<string, number> {
  if (!STATEMENTS_FILE) return {};
  rmSync(STATEMENTS_FILE, { force: true });
  server.child.kill('SIGUSR1');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; waited < 5000; waited += 20) {
    Atomics.wait(pause, 0, 0, 20);
    let text: string;
    try {
      text = readFileSync(STATEMENTS_FILE, 'utf8');
    } catch {
      continue;
    }
    rmSync(STATEMENTS_FILE, { force: true });
    const { total, top } = JSON.parse(text) as { total: number; top: [string, number][] };
    for (const [statement, count] of top)
      process.stderr.write(`${(count / calls).toFixed(2).padStart(7)}  ${statement}\n`);
    return { statements_per_op: Number((total / calls).toFixed(2)) };
  }
  return {};
}

export const benchmarks: BenchCase<Ctx>[] = [
  {
    name: 'onboard.fdo',
    concurrency: CONCURRENCY,
    durationMs: 4000,
    setup,
    op: async (ctx) => {
      countCall(ctx);
      const device = ctx.devices[ctx.next++];
      if (!device) throw new Error(`all ${DEVICES} devices are onboarded; raise BENCH_ONBOARD_DEVICES`);
      const to1 = await runTo1(new FdoHttpSession({ baseUrl: ctx.server.rendezvous, fetch: ctx.fetch }), {
        guid: device.guid,
        signer: device.signer,
      });
      const outcome = await runTo2({
        session: new FdoHttpSession({ baseUrl: ctx.server.ownerOnboarding, fetch: ctx.fetch }),
        credential: device.credential,
        to1d: to1.to1d,
      });
      if (outcome.credentialReused) throw new Error('unexpected credential reuse');
    },
    extra: cpuPerOp,
    teardown: async (ctx) => {
      ctx.closeConnections();
      await stopServer(ctx.server);
      await ctx.database?.drop();
    },
  },
];
