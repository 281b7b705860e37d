import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createCsr, derToPem, EST_MEDIA_TYPES, estBase64Decode, parseCertsOnly } from '@ztp/pki';
import { createSoftwareSigner } from '@ztp/protocol';
import { processCpuMs } from './process-cpu';
import { type BenchCase } from './types';

/**
 * EST and OCSP on owner onboarding under load: the app runs in a child process (its own core and
 * event loop; DATABASE_URL when set, else an embedded PostgreSQL server there), this process is the
 * client. `est.reenroll`: complete RFC 7030 re-enrolments as devices make them: a new P-256 key and
 * CSR, a new TLS connection presenting the current certificate, the renewal signed by the owner CA
 * in custody, recorded with the old certificate revoked (superseded), audit events and webhook
 * outbox rows in one transaction; the device then holds the new certificate for its next renewal.
 * `ocsp.respond`: signed OCSP answers (RFC 6960, nonce echoed) over kept-alive HTTP connections,
 * each a status lookup in PostgreSQL and an ECDSA signature by the CA key.
 */
const DEVICES = 64;
const CONCURRENCY = 16;
const WARM_UP_MS = 3000;

interface Server {
  estUrl: string;
  httpUrl: string;
  owner: string;
  dir: string;
  devices: { cert: string; key: string }[];
  child: ChildProcess;
}

async function startServer(): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      ...(process.env['BENCH_SERVER_NODE_ARGS']?.split(' ').filter(Boolean) ?? []),
      '--import',
      '@swc-node/register/esm-register',
      'apps/owner-onboarding/src/est/testing/serve-est.ts',
    ],
    {
      cwd: new URL('../', import.meta.url).pathname,
      env: { ...process.env, LOG_LEVEL: 'warn', EST_BENCH_DEVICES: String(DEVICES) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (line.startsWith('{"estUrl"')) return { ...(JSON.parse(line) as Omit<Server, 'child'>), child };
  }
  throw new Error('the EST server exited before listening');
}

async function stopServer(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

interface Device {
  certPem: string;
  keyPem: string;
}

interface EstCtx {
  server: Server;
  /** Plain HTTP with the certificate in the trusted-proxy header, on kept-alive connections. */
  viaProxy: boolean;
  agent: HttpAgent;
  serverCa: string;
  free: Device[];
  waiting: ((device: Device) => void)[];
  serverCpuStartMs: number;
  renewals: number;
}

function take(ctx: EstCtx): Promise<Device> {
  const device = ctx.free.pop();
  return device ? Promise.resolve(device) : new Promise((resolve) => ctx.waiting.push(resolve));
}

function give(ctx: EstCtx, device: Device): void {
  const waiter = ctx.waiting.shift();
  if (waiter) waiter(device);
  else ctx.free.push(device);
}

async function reenroll(ctx: EstCtx, device: Device): Promise<void> {
  if (ctx.viaProxy) return reenrollViaProxy(ctx, device);
  const key: KeyObject = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const csr = await createCsr({ signer: createSoftwareSigner(key), subject: { commonName: 'device' } });
  const body = Buffer.from(csr).toString('base64');
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpsRequest(
      `${ctx.server.estUrl}/simplereenroll`,
      {
        method: 'POST',
        agent: false,
        ca: ctx.serverCa,
        cert: device.certPem,
        key: device.keyPem,
        headers: { 'content-type': EST_MEDIA_TYPES.pkcs10, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  if (answer.status !== 200) throw new Error(`simplereenroll: HTTP ${answer.status} ${answer.text}`);
  const [certificate] = parseCertsOnly(estBase64Decode(answer.text));
  device.certPem = derToPem(certificate!);
  device.keyPem = key.export({ type: 'pkcs8', format: 'pem' }) as string;
  ctx.renewals++;
}

async function reenrollViaProxy(ctx: EstCtx, device: Device): Promise<void> {
  const key: KeyObject = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const csr = await createCsr({ signer: createSoftwareSigner(key), subject: { commonName: 'device' } });
  const body = Buffer.from(csr).toString('base64');
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(
      `${ctx.server.httpUrl}/.well-known/est/${ctx.server.owner}/simplereenroll`,
      {
        method: 'POST',
        agent: ctx.agent,
        headers: {
          'content-type': EST_MEDIA_TYPES.pkcs10,
          'content-length': Buffer.byteLength(body),
          'x-client-cert': encodeURIComponent(device.certPem),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  if (answer.status !== 200) throw new Error(`simplereenroll: HTTP ${answer.status} ${answer.text}`);
  const [certificate] = parseCertsOnly(estBase64Decode(answer.text));
  device.certPem = derToPem(certificate!);
  device.keyPem = key.export({ type: 'pkcs8', format: 'pem' }) as string;
  ctx.renewals++;
}

async function estSetup(viaProxy: boolean): Promise<EstCtx> {
  const server = await startServer();
  const ctx: EstCtx = {
    server,
    viaProxy,
    agent: new HttpAgent({ keepAlive: true, maxSockets: CONCURRENCY }),
    serverCa: readFileSync(join(server.dir, 'server.pem'), 'utf8'),
    free: server.devices.map((device) => ({
      certPem: readFileSync(device.cert, 'utf8'),
      keyPem: readFileSync(device.key, 'utf8'),
    })),
    waiting: [],
    serverCpuStartMs: 0,
    renewals: 0,
  };
  const warmUntil = performance.now() + WARM_UP_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < warmUntil) {
        const device = await take(ctx);
        await reenroll(ctx, device).finally(() => give(ctx, device));
      }
    }),
  );
  ctx.serverCpuStartMs = processCpuMs(server.child.pid!);
  ctx.renewals = 0;
  return ctx;
}

interface OcspCtx {
  server: Server;
  agent: HttpAgent;
  request: Buffer;
  serverCpuStartMs: number;
  answers: number;
  checked: boolean;
}

function ocspPost(ctx: OcspCtx): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${ctx.server.httpUrl}/pki/owners/${ctx.server.owner}/ocsp`,
      {
        method: 'POST',
        agent: ctx.agent,
        headers: { 'content-type': 'application/ocsp-request', 'content-length': ctx.request.byteLength },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(Buffer.concat(chunks))
            : reject(new Error(`OCSP: HTTP ${res.statusCode ?? 0}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(ctx.request);
  });
}

async function ocspSetup(): Promise<OcspCtx> {
  const server = await startServer();
  // The request as openssl makes it: SHA-1 CertID and a nonce (echoed in every answer).
  execFileSync(
    'openssl',
    ['ocsp', '-issuer', 'ca.pem', '-cert', server.devices[0]!.cert, '-reqout', 'ocsp-request.der'],
    { cwd: server.dir, stdio: 'ignore' },
  );
  const ctx: OcspCtx = {
    server,
    agent: new HttpAgent({ keepAlive: true, maxSockets: CONCURRENCY }),
    request: readFileSync(join(server.dir, 'ocsp-request.der')),
    serverCpuStartMs: 0,
    answers: 0,
    checked: false,
  };
  const warmUntil = performance.now() + WARM_UP_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < warmUntil) await ocspPost(ctx);
    }),
  );
  ctx.serverCpuStartMs = processCpuMs(server.child.pid!);
  return ctx;
}

const cpuFigures = (server: Server, startMs: number, ops: number) => {
  const perOp = (processCpuMs(server.child.pid!) - startMs) / ops;
  return {
    server_cpu_ms_per_op: Number(perOp.toFixed(3)),
    server_ops_per_core_s: Number((1000 / perOp).toFixed(1)),
  };
};

function estBench(name: string, viaProxy: boolean): BenchCase {
  return {
    name,
    concurrency: CONCURRENCY,
    durationMs: 5000,
    setup: () => estSetup(viaProxy),
    op: async (ctx) => {
      const est = ctx as EstCtx;
      const device = await take(est);
      try {
        await reenroll(est, device);
      } finally {
        give(est, device);
      }
    },
    extra: (ctx) =>
      cpuFigures((ctx as EstCtx).server, (ctx as EstCtx).serverCpuStartMs, (ctx as EstCtx).renewals),
    teardown: async (ctx) => {
      (ctx as EstCtx).agent.destroy();
      await stopServer((ctx as EstCtx).server);
    },
  } satisfies BenchCase<EstCtx> as BenchCase;
}

/**
 * est.reenroll: over the EST HTTPS listener, a new TLS connection per renewal presenting the current
 * certificate (as a device does); est.reenroll.proxy: the same renewals on plain HTTP with the
 * certificate in the trusted-proxy header (behind a TLS-terminating proxy), without the handshakes.
 */
export const benchmarks: BenchCase[] = [
  estBench('est.reenroll', false),
  estBench('est.reenroll.proxy', true),
  {
    name: 'ocsp.respond',
    concurrency: CONCURRENCY,
    durationMs: 5000,
    setup: ocspSetup,
    op: async (ctx) => {
      const ocsp = ctx as OcspCtx;
      const answer = await ocspPost(ocsp);
      ocsp.answers++;
      if (!ocsp.checked) {
        // Once: what is measured is a signed answer openssl verifies, saying good.
        ocsp.checked = true;
        writeFileSync(join(ocsp.server.dir, 'ocsp-response.der'), answer);
        const text = execFileSync(
          'openssl',
          [
            'ocsp',
            // The nonce echo is checked by revocation.int-spec.ts (openssl ocsp -url); here the status.
            '-no_nonce',
            '-respin',
            'ocsp-response.der',
            '-issuer',
            'ca.pem',
            '-CAfile',
            'ca.pem',
            '-cert',
            ocsp.server.devices[0]!.cert,
          ],
          { cwd: ocsp.server.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
        );
        if (!text.includes(': good')) throw new Error(`OCSP answer not good: ${text}`);
      }
    },
    extra: (ctx) =>
      cpuFigures((ctx as OcspCtx).server, (ctx as OcspCtx).serverCpuStartMs, (ctx as OcspCtx).answers),
    teardown: async (ctx) => {
      (ctx as OcspCtx).agent.destroy();
      await stopServer((ctx as OcspCtx).server);
    },
  } satisfies BenchCase<OcspCtx> as BenchCase,
];
