import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createKeepAliveFetch, type Fetch, FdoHttpSession, runTo0, runTo1 } from '@ztp/fdo-client';
import { buildRvTo2Addr, createSoftwareSigner, type OwnershipVoucher, type Signer } from '@ztp/protocol';
import { newTestDevice, ownedVoucher, p256Key } from '../apps/rendezvous/src/testing/test-vouchers';
import { type PostgresCpu, postgresCpu, postgresCpuSince, processCpuMs } from './process-cpu';
import { type BenchCase } from './types';

/**
 * The rendezvous server under load, on loopback: the app runs in a child process (its own core and
 * event loop, as in production; on DATABASE_URL when set, else on an embedded PostgreSQL server in that
 * process) and this process is the client, so both share this machine's cores.
 * `rv.to1`: complete TO1 exchanges (30 -> 31 -> 32 -> 33) per second, by DEVICES registered devices
 * in turn, each with its own P-256 key signing the EAT. A device comes round again only after
 * DEVICES / rate seconds (3 s at 2,000/s), past the 2 s lookup cache: every HelloRV reads the
 * database and imports the device key, as a device's one TO1 would; ProveToRV reuses that read.
 * `rv.to0`: complete TO0 registrations (20 -> 21 -> 22 -> 23) per second of P-256 vouchers with one
 * entry. `server_cpu_ms_per_op` is the server process's CPU time per operation,
 * `client_cpu_ms_per_op` this process's, `db_cpu_ms_per_op` the PostgreSQL server processes' (DATABASE_URL only). The server logs
 * at warn (per-request info lines off), as a busy rendezvous would run.
 */
const DEVICES = 6000;
const CONCURRENCY = 32;
const OWNER_ADDRESS = buildRvTo2Addr({ dns: 'owner.example.com', port: 8042, protocol: 'https' });

interface Server {
  url: string;
  child: ChildProcess;
  pid: number;
}

async function startServer(): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      ...(process.env['BENCH_SERVER_NODE_ARGS']?.split(' ').filter(Boolean) ?? []),
      '--import',
      '@swc-node/register/esm-register',
      'apps/rendezvous/src/testing/serve-rendezvous.ts',
    ],
    {
      cwd: new URL('../', import.meta.url).pathname,
      env: {
        ...process.env,
        LOG_LEVEL: 'warn',
        RENDEZVOUS_DEFAULT_POLICY: 'open',
        RENDEZVOUS_RATE_LIMIT_PER_ADDRESS: '0',
        RENDEZVOUS_RATE_LIMIT_PER_GUID: '0',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (line.startsWith('{"url"')) return { ...(JSON.parse(line) as { url: string; pid: number }), child };
  }
  throw new Error('the rendezvous server exited before listening');
}

async function stopServer(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

interface Ctx {
  server: Server;
  /** Server and client CPU (ms) at the first timed call, and calls since: CPU per operation. */
  cpu:
    | { startMs: number; clientStart: NodeJS.CpuUsage; dbStart: PostgresCpu | undefined; calls: number }
    | undefined;
  fetch: Fetch;
  closeConnections: () => void;
  owner: Signer;
  vouchers: OwnershipVoucher[];
  /** The attestation key of each voucher's device. */
  devices: Signer[];
  next: number;
}

function countCall(ctx: Ctx): void {
  if (ctx.cpu) ctx.cpu.calls++;
  else
    ctx.cpu = {
      startMs: processCpuMs(ctx.server.pid),
      clientStart: process.cpuUsage(),
      dbStart: process.env['DATABASE_URL'] ? postgresCpu() : undefined,
      calls: 0,
    };
}

function serverCpuPerOp(ctx: Ctx): Record<string, number> {
  if (!ctx.cpu || ctx.cpu.calls === 0) return {};
  const ms = (processCpuMs(ctx.server.pid) - ctx.cpu.startMs) / ctx.cpu.calls;
  const client = process.cpuUsage(ctx.cpu.clientStart);
  const clientMs = (client.user + client.system) / 1000 / ctx.cpu.calls;
  const db = ctx.cpu.dbStart && postgresCpuSince(ctx.cpu.dbStart);
  return {
    server_cpu_ms_per_op: Number(ms.toFixed(3)),
    client_cpu_ms_per_op: Number(clientMs.toFixed(3)),
    ...(db === undefined ? {} : { db_cpu_ms_per_op: Number((db / ctx.cpu.calls).toFixed(3)) }),
  };
}

/** DEVICES vouchers for one owner, each device with its own P-256 key and certificate. */
async function setup(options: { registered: boolean }): Promise<Ctx> {
  const server = await startServer();
  try {
    const ctx = await prepare(server);
    if (options.registered)
      for (let i = 0; i < ctx.vouchers.length; i += CONCURRENCY)
        await Promise.all(ctx.vouchers.slice(i, i + CONCURRENCY).map((voucher) => register(ctx, voucher)));
    return ctx;
  } catch (err) {
    await stopServer(server);
    throw err;
  }
}

async function prepare(server: Server): Promise<Ctx> {
  const { fetch, close: closeConnections } = createKeepAliveFetch({ maxSockets: CONCURRENCY * 2 });
  const manufacturer = p256Key();
  const owner = p256Key();
  const devices: Signer[] = [];
  const vouchers: OwnershipVoucher[] = [];
  for (let i = 0; i < DEVICES; i++) {
    const device = await newTestDevice();
    devices.push(device.signer);
    vouchers.push(await ownedVoucher(device, manufacturer, [owner]));
  }
  const ownerSigner = createSoftwareSigner(owner);
  return { server, fetch, closeConnections, owner: ownerSigner, vouchers, devices, next: 0, cpu: undefined };
}

function register(ctx: Ctx, voucher: OwnershipVoucher) {
  return runTo0(new FdoHttpSession({ baseUrl: ctx.server.url, fetch: ctx.fetch }), {
    voucher,
    ownerSigner: ctx.owner,
    to2Addresses: [OWNER_ADDRESS],
    waitSeconds: 3600,
  });
}

async function teardown(ctx: Ctx): Promise<void> {
  ctx.closeConnections();
  await stopServer(ctx.server);
}

export const benchmarks: BenchCase<Ctx>[] = [
  {
    name: 'rv.to1',
    concurrency: CONCURRENCY,
    durationMs: 5000,
    setup: () => setup({ registered: true }),
    op: async (ctx) => {
      countCall(ctx);
      const index = ctx.next++ % ctx.vouchers.length;
      const outcome = await runTo1(new FdoHttpSession({ baseUrl: ctx.server.url, fetch: ctx.fetch }), {
        guid: ctx.vouchers[index]!.header.guid,
        signer: ctx.devices[index]!,
      });
      if (outcome.to2Addresses.length !== 1) throw new Error('unexpected RVRedirect');
    },
    extra: serverCpuPerOp,
    teardown,
  },
  {
    name: 'rv.to0',
    concurrency: CONCURRENCY,
    durationMs: 5000,
    setup: () => setup({ registered: false }),
    op: async (ctx) => {
      countCall(ctx);
      const outcome = await register(ctx, ctx.vouchers[ctx.next++ % ctx.vouchers.length]!);
      if (outcome.waitSeconds !== 3600) throw new Error('unexpected AcceptOwner');
    },
    extra: serverCpuPerOp,
    teardown,
  },
];
