import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { sztp } from '@ztp/protocol';
import { type BenchCase } from './types';

/**
 * The SZTP bootstrap server under load, as devices meet it: owner onboarding runs in a child process
 * (its own core and event loop; DATABASE_URL when set, else an embedded PostgreSQL server in that process) with
 * its HTTPS listener, and this process is the client. `sztp.bootstrap`: get-bootstrapping-data
 * answers per second, each signed with the owner's P-256 key (CMS SignedData over the onboarding
 * information: boot image with hash, scripts, configuration) with the owner-certificate artifact and
 * the device's ledger voucher (no nonce, so the stored voucher serves). Every device authenticates
 * with its IDevID as TLS client certificate on a kept-alive connection; the server identifies it
 * (chain to the device type's anchors, cached), loads its context from the database and signs.
 */
const DEVICES = 16;
const CONCURRENCY = 16;
const WARM_UP_MS = 5000;
const MEDIA_TYPES = { json: 'application/yang-data+json', xml: 'application/yang-data+xml' } as const;
const GBD = '/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data';

interface Server {
  url: string;
  dir: string;
  devices: { serialNumber: string; cert: string; key: string }[];
  child: ChildProcess;
}

async function startServer(): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      '@swc-node/register/esm-register',
      'apps/owner-onboarding/src/sztp/testing/serve-sztp-bootstrap.ts',
    ],
    {
      cwd: new URL('../', import.meta.url).pathname,
      env: { ...process.env, LOG_LEVEL: 'warn', SZTP_BENCH_DEVICES: String(DEVICES) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (line.startsWith('{"url"')) return { ...(JSON.parse(line) as Omit<Server, 'child'>), child };
  }
  throw new Error('the SZTP bootstrap server exited before listening');
}

async function stopServer(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

interface Device {
  readonly serialNumber: string;
  readonly agent: Agent;
}

interface Ctx {
  server: Server;
  devices: Device[];
  masa: Uint8Array;
  /** Send a fresh nonce each time (the server then signs a nonce-bound voucher per answer). */
  withNonce: boolean;
  /** RESTCONF encoding of the request and the answer. */
  encoding: 'json' | 'xml';
  next: number;
  checked: boolean;
  /** Server CPU time when the load started, and answers since. */
  serverCpuStartMs: number;
  answers: number;
}

/**
 * CPU time (user + system) the server process has used, in ms, from /proc (Linux); NaN elsewhere.
 * On a small shared machine this is the figure to trust: answers per second also depend on what
 * else runs, while CPU per answer says what one core of the server sustains.
 */
function processCpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

function post(ctx: Ctx, device: Device, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${ctx.server.url}${GBD}`,
      {
        method: 'POST',
        agent: device.agent,
        headers: {
          'content-type': MEDIA_TYPES[ctx.encoding],
          accept: MEDIA_TYPES[ctx.encoding],
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function input(ctx: Ctx): { body: string; nonce?: Uint8Array } {
  const nonce = ctx.withNonce ? new Uint8Array(randomBytes(32)) : undefined;
  const body = sztp.serializeGetBootstrappingDataInput(
    { signedDataPreferred: true, ...(nonce ? { nonce } : {}) },
    ctx.encoding,
  );
  return { body, ...(nonce ? { nonce } : {}) };
}

async function setup(withNonce: boolean, encoding: Ctx['encoding']): Promise<Ctx> {
  const server = await startServer();
  const ca = readFileSync(join(server.dir, 'server-ca.pem'), 'utf8');
  const devices = server.devices.map((device) => ({
    serialNumber: device.serialNumber,
    agent: new Agent({
      keepAlive: true,
      maxSockets: 2,
      ca,
      cert: readFileSync(device.cert, 'utf8'),
      key: readFileSync(device.key, 'utf8'),
    }),
  }));
  const masa = sztp.certificatesFromPem(readFileSync(join(server.dir, 'masa.pem'), 'utf8'))[0]!;
  const ctx: Ctx = {
    server,
    devices,
    masa,
    withNonce,
    encoding,
    next: 0,
    checked: false,
    serverCpuStartMs: 0,
    answers: 0,
  };
  // A server that has been answering for a while (JIT-compiled, caches and statements warm): the
  // runner's own half-second warm-up is far too short for that.
  const warmUntil = performance.now() + WARM_UP_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < warmUntil)
        await post(ctx, devices[ctx.next++ % devices.length]!, input(ctx).body);
    }),
  );
  ctx.serverCpuStartMs = processCpuMs(server.child.pid);
  return ctx;
}

function bootstrapBench(
  name: string,
  withNonce: boolean,
  encoding: Ctx['encoding'] = 'json',
): BenchCase<Ctx> {
  return {
    name,
    concurrency: CONCURRENCY,
    durationMs: 5000,
    setup: () => setup(withNonce, encoding),
    op: async (ctx) => {
      const device = ctx.devices[ctx.next++ % ctx.devices.length]!;
      const { body, nonce } = input(ctx);
      const response = await post(ctx, device, body);
      if (response.status !== 200)
        throw new Error(`get-bootstrapping-data: HTTP ${response.status} ${response.body}`);
      ctx.answers++;
      if (!ctx.checked) {
        // Once: what is being measured is a signed answer a strict device accepts.
        ctx.checked = true;
        const output = sztp.parseGetBootstrappingDataOutput(response.body, ctx.encoding);
        const verified = sztp.verifyBootstrappingData(output, {
          manufacturerTrust: { masaCertificate: ctx.masa },
          serialNumber: device.serialNumber,
          now: new Date(),
          ...(nonce ? { nonce } : {}),
        });
        if (!verified.conveyed.signed || (nonce && verified.voucher?.voucher.nonce === undefined))
          throw new Error('not the signed answer expected');
      }
    },
    extra: (ctx) => {
      const cpuMsPerAnswer = (processCpuMs(ctx.server.child.pid) - ctx.serverCpuStartMs) / ctx.answers;
      return {
        server_cpu_ms_per_op: Number(cpuMsPerAnswer.toFixed(3)),
        server_ops_per_core_s: Number((1000 / cpuMsPerAnswer).toFixed(1)),
      };
    },
    teardown: async (ctx) => {
      for (const device of ctx.devices) device.agent.destroy();
      await stopServer(ctx.server);
    },
  };
}

/**
 * sztp.bootstrap: no nonce, so the device's ledger voucher serves and the whole signed answer for a
 * (profile version, voucher) is reused; the server still identifies the device and reads its
 * context (holder, profile version) from the database on every request.
 * sztp.bootstrap.nonce: a fresh nonce each time, so every answer carries a nonce-bound voucher the
 * MASA signs for that request (the signed conveyed information of the profile is still reused).
 * sztp.bootstrap.xml: as sztp.bootstrap, in the RESTCONF XML encoding (request parsed by the XML
 * reader, answer serialised as XML).
 */
export const benchmarks: BenchCase<Ctx>[] = [
  bootstrapBench('sztp.bootstrap', false),
  bootstrapBench('sztp.bootstrap.nonce', true),
  bootstrapBench('sztp.bootstrap.xml', false, 'xml'),
];
