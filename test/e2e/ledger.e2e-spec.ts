import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '@ztp/auth';
import { FdoHttpSession, runDeviceInitialize } from '@ztp/fdo-client';
import { createTestDatabase, type TestDatabase } from '@ztp/persistence';
import { parseVoucher, type OwnershipVoucher, verifyVoucher } from '@ztp/protocol';
import { verifyWebhookSignature } from '@ztp/queue';
import {
  extendTo,
  manufacture,
  pemOf,
} from '../../apps/voucher-service/src/vouchers/voucher-builder.testing';

const REPO_ROOT = new URL('../../', import.meta.url).pathname;
const START_BUDGET_MS = 90_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `npm start` as a child process on a temp DATA_DIR and random ports. */
class Launcher {
  readonly child: ChildProcess;
  output = '';
  readonly urls: { rendezvous: string; voucher: string; onboarding: string };
  readonly exited: Promise<number | null>;

  private constructor(env: NodeJS.ProcessEnv, ports: number[]) {
    this.urls = {
      rendezvous: `http://127.0.0.1:${ports[0]}`,
      voucher: `http://127.0.0.1:${ports[1]}`,
      onboarding: `http://127.0.0.1:${ports[2]}`,
    };
    this.child = spawn(
      process.execPath,
      ['--import', '@swc-node/register/esm-register', 'apps/standalone/src/main.ts'],
      {
        cwd: REPO_ROOT,
        env: {
          ...env,
          RENDEZVOUS_PORT: String(ports[0]),
          VOUCHER_SERVICE_PORT: String(ports[1]),
          OWNER_ONBOARDING_PORT: String(ports[2]),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  static async start(env: NodeJS.ProcessEnv): Promise<Launcher> {
    const launcher = new Launcher(env, [await freePort(), await freePort(), await freePort()]);
    const started = performance.now();
    let exitCode: number | null | undefined;
    void launcher.exited.then((code) => (exitCode = code));
    while (performance.now() - started < START_BUDGET_MS) {
      if (exitCode !== undefined)
        throw new Error(`The launcher exited with ${exitCode}:\n${launcher.output}`);
      if (launcher.output.includes('Stop with Ctrl+C')) return launcher;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    launcher.kill();
    throw new Error(`Not ready within ${START_BUDGET_MS} ms:\n${launcher.output}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

async function baseEnv(dataDir: string): Promise<{ env: NodeJS.ProcessEnv; database?: TestDatabase }> {
  const { DATABASE_URL: serverUrl, REDIS_URL: redisUrl, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    QUEUE_PREFIX: `e2e${randomBytes(4).toString('hex')}`,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
  };
  if (!serverUrl) return { env };
  const database = await createTestDatabase({ migrate: false });
  return {
    env: { ...env, DATABASE_URL: database.url, KEY_CUSTODY_MASTER_KEY: randomBytes(32).toString('base64') },
    database,
  };
}

/** Yields to the event loop while generating many vouchers (timers keep running). */
async function resellerVouchers(
  count: number,
  ownerKey: ReturnType<typeof generateKeyPairSync>['publicKey'],
) {
  const outsider = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const vouchers: OwnershipVoucher[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
    vouchers.push(await extendTo(manufacture(outsider.publicKey), outsider.privateKey, ownerKey));
  }
  return vouchers;
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

describe(`voucher ledger end to end on npm start (${process.env['DATABASE_URL'] ? 'DATABASE_URL' : 'embedded PostgreSQL'})`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-e2e-ledger-'));
  const operator = generateApiKey().key;
  const issuer = 'https://login.example.test';
  let database: TestDatabase | undefined;
  let launcher: Launcher;
  let jwks: Server;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  let jwtKey: CryptoKey;
  const keys: Record<string, string> = {};
  const ids: Record<string, string> = {};

  async function call(
    credential: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const response = await fetch(`${launcher.urls.voucher}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${credential}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  }

  const resellerToken = (roles: string[]) =>
    new SignJWT({ ztp_tenant: 'e2e-reseller', ztp_roles: roles })
      .setProtectedHeader({ alg: 'ES256', kid: 'e2e' })
      .setIssuer(issuer)
      .setAudience('ztp-e2e')
      .setSubject('reseller-user')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(jwtKey);

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    jwtKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'e2e', alg: 'ES256', use: 'sig' };
    jwks = createHttpServer((_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    receiver = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    const base = await baseEnv(dataDir);
    database = base.database;
    launcher = await Launcher.start({
      ...base.env,
      DEMO_SEED: 'off',
      // The SSRF guard closed, as in production, with the test's receiver allowed as an internal one.
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'off',
      WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32',
      AUTH_OPERATOR_API_KEY_SHA256: createHash('sha256').update(operator).digest('hex'),
      AUTH_OIDC_ISSUER: issuer,
      AUTH_OIDC_AUDIENCE: 'ztp-e2e',
      AUTH_OIDC_JWKS_URL: `http://127.0.0.1:${(jwks.address() as { port: number }).port}/jwks`,
    });
    for (const [kind, slug] of [
      ['manufacturer', 'e2e-maker'],
      ['reseller', 'e2e-reseller'],
      ['owner', 'e2e-owner'],
    ] as const) {
      const tenant = await call(operator, 'POST', '/v1/tenants', { kind, name: slug, slug });
      expect(tenant.status).toBe(201);
      ids[slug] = tenant.body.id;
      const admin = await call(operator, 'POST', `/v1/tenants/${tenant.body.id}/api-keys`, {
        name: 'admin',
        roles: ['tenant:admin'],
      });
      keys[slug] = admin.body.key;
    }
    for (const slug of ['e2e-reseller', 'e2e-owner'])
      expect(
        (await call(keys[slug]!, 'POST', '/v1/owner-keys', { name: 'main', spec: 'P-256' })).status,
      ).toBe(201);
    const maker = `/v1/manufacturers/${ids['e2e-maker']}`;
    expect((await call(operator, 'POST', `${maker}/pki`, {})).status).toBe(201);
    expect(
      (await call(operator, 'POST', `${maker}/stations`, { name: 'line-1', allowedCidrs: ['127.0.0.1/32'] }))
        .status,
    ).toBe(201);
  }, 240_000);

  afterAll(async () => {
    await launcher?.stop();
    await database?.drop();
    await new Promise((resolve) => jwks?.close(resolve));
    await new Promise((resolve) => receiver?.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('DI -> manufacturer -> reseller (OIDC token) -> owner: two entries, verified, one holder, isolated, audited, idempotent, webhooked', async () => {
    const hook = await call(keys['e2e-owner']!, 'POST', '/v1/webhooks', {
      url: receiverUrl,
      eventTypes: ['voucher.received'],
    });
    expect(hook.status).toBe(201);
    const credential = await runDeviceInitialize({
      session: new FdoHttpSession({ baseUrl: launcher.urls.voucher }),
      serialNumber: 'E2E-LEDGER-1',
      deviceInfo: 'e2e ledger device',
    });
    const guid = credential.guid;
    const made = await call(keys['e2e-maker']!, 'GET', `/v1/vouchers?guid=${guid}`);
    expect(made.body.items).toEqual([expect.objectContaining({ guid, numEntries: 0, status: 'active' })]);

    const offer = () =>
      call(
        keys['e2e-maker']!,
        'POST',
        `/v1/vouchers/${guid}/transfers`,
        { to: { tenant: 'e2e-reseller' } },
        { 'Idempotency-Key': `offer-${guid}` },
      );
    const first = await offer();
    expect(first.status).toBe(201);
    const repeat = await offer();
    expect(repeat.body.id).toBe(first.body.id);
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');
    const reused = await call(
      keys['e2e-maker']!,
      'POST',
      `/v1/vouchers/${guid}/transfers`,
      { to: { tenant: 'e2e-owner' } },
      { 'Idempotency-Key': `offer-${guid}` },
    );
    expect(reused.status).toBe(422);
    expect(
      (await call(keys['e2e-maker']!, 'GET', '/v1/transfers?direction=outgoing')).body.items,
    ).toHaveLength(1);

    // The reseller works with OIDC tokens; a read-only token cannot claim.
    const reader = await resellerToken(['vouchers:read']);
    const incoming = await call(reader, 'GET', '/v1/transfers?direction=incoming&status=pending');
    expect(incoming.body.items.map((t: { id: string }) => t.id)).toEqual([first.body.id]);
    expect((await call(reader, 'POST', `/v1/transfers/${first.body.id}/accept`)).status).toBe(403);
    const writer = await resellerToken(['vouchers:read', 'vouchers:write']);
    expect((await call(writer, 'POST', `/v1/transfers/${first.body.id}/accept`)).status).toBe(200);
    expect((await call(keys['e2e-maker']!, 'GET', `/v1/vouchers/${guid}`)).status).toBe(404);
    const onward = await call(writer, 'POST', `/v1/vouchers/${guid}/transfers`, {
      to: { tenant: 'e2e-owner' },
    });
    expect(onward.status).toBe(201);
    expect((await call(keys['e2e-owner']!, 'POST', `/v1/transfers/${onward.body.id}/accept`)).status).toBe(
      200,
    );

    const cbor = await fetch(`${launcher.urls.voucher}/v1/vouchers/${guid}?format=cbor`, {
      headers: { Authorization: `Bearer ${keys['e2e-owner']}` },
    });
    const voucher = parseVoucher(new Uint8Array(await cbor.arrayBuffer()));
    expect(voucher.entries).toHaveLength(2);
    expect(() => verifyVoucher(voucher)).not.toThrow();

    for (const other of [keys['e2e-maker']!, writer]) {
      expect((await call(other, 'GET', `/v1/vouchers/${guid}`)).status).toBe(404);
      expect((await call(other, 'GET', `/v1/devices/${guid}`)).status).toBe(404);
      expect((await call(other, 'GET', `/v1/vouchers?guid=${guid}`)).body.items).toEqual([]);
      expect((await call(other, 'GET', `/v1/tenants/${ids['e2e-owner']}`)).status).toBe(404);
    }
    // Each tenant's audit log tells its own part of the device's story, and nothing else.
    const story = async (credential: string) =>
      (await call(credential, 'GET', `/v1/audit/events?subject=device:${guid}`)).body.items.map(
        (e: { eventType: string }) => e.eventType,
      );
    expect(await story(keys['e2e-maker']!)).toEqual([
      'device.initialized',
      'transfer.offered',
      'voucher.transferred',
    ]);
    expect(await story(await resellerToken(['audit:read']))).toEqual([
      'transfer.incoming',
      'voucher.received',
      'transfer.offered',
      'voucher.transferred',
    ]);
    // Accepted by an owner tenant: the device moves manufactured -> owned, in the owner's story.
    expect(await story(keys['e2e-owner']!)).toEqual([
      'transfer.incoming',
      'voucher.received',
      'device.owned',
    ]);
    for (const credentialOf of [keys['e2e-maker']!, await resellerToken(['audit:read']), keys['e2e-owner']!])
      expect((await call(credentialOf, 'GET', '/v1/audit/verify')).body).toMatchObject({ valid: true });

    // The owner's endpoint heard about the incoming transfer, signed.
    const deadline = Date.now() + 20_000;
    while (received.length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received).toHaveLength(1);
    const event = JSON.parse(received[0]!.body);
    expect(event).toMatchObject({
      type: 'voucher.received',
      tenantId: ids['e2e-owner'],
      data: { guid, status: 'pending' },
    });
    const signed = {
      timestamp: received[0]!.headers['ztp-webhook-timestamp'] as string,
      signature: received[0]!.headers['ztp-webhook-signature'] as string,
    };
    expect(verifyWebhookSignature(hook.body.secret, signed, received[0]!.body)).toBe(true);
  });

  it('imports 10,000 vouchers in one request; one bad voucher in a batch fails it all, naming its index', async () => {
    const reseller = keys['e2e-reseller']!;
    const [ownerKey] = (await call(reseller, 'GET', '/v1/owner-keys')).body.items;
    const { createPublicKey } = await import('node:crypto');
    const vouchers = await resellerVouchers(10_000, createPublicKey(ownerKey.publicKeyPem));
    const held = async () => (await call(reseller, 'GET', '/v1/vouchers?limit=500')).body.items.length;
    const before = await held();

    const bad = [...vouchers.slice(0, 5)];
    const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    bad.splice(3, 0, manufacture(foreign.publicKey));
    const refused = await fetch(`${launcher.urls.voucher}/v1/vouchers`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${reseller}`, 'Content-Type': 'application/x-pem-file' },
      body: pemOf(bad),
    });
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({
      index: 3,
      errors: [expect.objectContaining({ index: 3, code: 'not-owner' })],
    });
    expect(await held()).toBe(before);

    const started = performance.now();
    const response = await fetch(`${launcher.urls.voucher}/v1/vouchers`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${reseller}`,
        'Content-Type': 'application/x-pem-file',
        'X-Expected-Count': '10000',
      },
      body: pemOf(vouchers),
    });
    const seconds = (performance.now() - started) / 1000;
    expect(response.status).toBe(201);
    const result = (await response.json()) as { count: number; vouchers: { guid: string }[] };
    expect(result.count).toBe(10_000);
    console.log(
      `bulk import of 10,000 vouchers: ${seconds.toFixed(1)} s (${Math.round(10_000 / seconds)} vouchers/s)`,
    );
    const listed = await call(reseller, 'GET', `/v1/vouchers?guid=${result.vouchers[9999]!.guid}`);
    expect(listed.body.items).toHaveLength(1);
    const events = (await call(reseller, 'GET', '/v1/audit/events?eventType=voucher.imported')).body.items;
    expect(events.at(-1).data.count).toBe(10_000);
  });
});

/** `node bin/device-sim.js ...`: the real launcher, its output and exit code. */
function deviceSim(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/device-sim.js'), ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('the embedded default seeds a demo', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-e2e-demo-'));
  let launcher: Launcher | undefined;

  afterAll(async () => {
    await launcher?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.skipIf(process.env['DATABASE_URL'])(
    'prints credentials; device-sim di then device-sim onboard work with no API call',
    async () => {
      const { env } = await baseEnv(dataDir);
      launcher = await Launcher.start(env);
      const ownerKey = /demo-owner \([0-9a-f-]+\)\n\s+admin API key:\s+(ztp_\S+)/.exec(launcher.output)?.[1];
      expect(ownerKey, launcher.output).toBeDefined();
      expect(launcher.output).toMatch(/X-Station-Key ztpst_/);
      const credentialFile = join(dataDir, 'device.json');
      const di = await deviceSim([
        'di',
        '--url',
        launcher.urls.voucher,
        '--credential',
        credentialFile,
        '--json',
      ]);
      expect(di.code, di.out).toBe(0);
      const { guid } = JSON.parse(di.out);
      let held: { numEntries: number; ownerKeyId: string | null } | undefined;
      for (let attempt = 0; attempt < 50 && !held; attempt++) {
        const response = await fetch(`${launcher.urls.voucher}/v1/vouchers?guid=${guid}`, {
          headers: { Authorization: `Bearer ${ownerKey}` },
        });
        const page = (await response.json()) as { items?: (typeof held)[] };
        expect(page.items, JSON.stringify(page)).toBeDefined();
        held = page.items![0];
        if (!held) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(held).toMatchObject({ numEntries: 1, ownerKeyId: expect.any(String) });

      // First boot: TO1 at the local rendezvous (TO0 was requested when the owner got the voucher),
      // then TO2 with the owner; the owner now holds the replacement voucher.
      const onboard = await deviceSim(['onboard', '--credential', credentialFile]);
      expect(onboard.code, onboard.out).toBe(0);
      expect(onboard.out).toMatch(/TO2 done/);
      const status = await fetch(`${launcher.urls.voucher}/v1/devices/${guid}`, {
        headers: { Authorization: `Bearer ${ownerKey}` },
      });
      expect(await status.json()).toMatchObject({
        voucher: { status: 'active', device: { lifecycle: 'onboarded' } },
        replaces: { guid },
      });

      // A small fleet from the factory to onboarded in one command: each device waits in TO1 until
      // the worker has registered it, then runs TO2.
      const fleetDir = join(dataDir, 'fleet');
      const fleet = await deviceSim([
        'run',
        '--flow',
        'onboard',
        '--url',
        launcher.urls.voucher,
        '--count',
        '3',
        '--concurrency',
        '3',
        '--out-dir',
        fleetDir,
      ]);
      expect(fleet.code, fleet.out).toBe(0);
      const summary = JSON.parse(fleet.out.trim().split('\n').at(-1)!) as {
        succeeded: number;
        failed: number;
      };
      expect(summary).toMatchObject({ event: 'summary', flow: 'onboard', succeeded: 3, failed: 0 });
      const credentials = readdirSync(fleetDir).filter((name) => name.endsWith('.json'));
      expect(credentials).toHaveLength(3);
      for (const file of credentials) {
        const onboarded = JSON.parse(readFileSync(join(fleetDir, file), 'utf8')) as { guid: string };
        const device = await fetch(`${launcher.urls.voucher}/v1/devices/${onboarded.guid}`, {
          headers: { Authorization: `Bearer ${ownerKey}` },
        });
        expect(await device.json()).toMatchObject({ voucher: { device: { lifecycle: 'onboarded' } } });
      }

      // Every device key type fits the demo with no API call: DI signs the voucher with the demo
      // manufacturer's key of the device's type, the demo rule extends it to the demo owner's key of
      // that type (one active key per type).
      const auth = { headers: { Authorization: `Bearer ${ownerKey}` } };
      const ownerKeys = (
        (await (await fetch(`${launcher.urls.voucher}/v1/owner-keys`, auth)).json()) as {
          items: { id: string; name: string; spec: string }[];
        }
      ).items.filter((key) => key.name.startsWith('demo-owner-key-'));
      expect(ownerKeys.map((key) => key.spec).sort()).toEqual(['P-256', 'P-384', 'RSA-2048', 'RSA-3072']);
      const types = [
        ['p256', 'P-256', 'EC P-256'],
        ['p384', 'P-384', 'EC P-384'],
        ['rsa2048', 'RSA-2048', 'RSA 2048'],
        ['rsa3072', 'RSA-3072', 'RSA 3072'],
      ] as const;
      for (const [keyType, spec, key] of types) {
        const typed = await deviceSim([
          'di',
          '--url',
          launcher.urls.voucher,
          '--credential',
          join(dataDir, `typed-${keyType}.json`),
          '--key-type',
          keyType,
          '--json',
        ]);
        expect(typed.code, typed.out).toBe(0);
        const typedGuid = (JSON.parse(typed.out) as { guid: string }).guid;
        let view: {
          ownerKeyId: string;
          summary: { manufacturerKey: { key: string }; ownerKey: { key: string } };
        };
        for (let attempt = 0; ; attempt++) {
          const response = await fetch(`${launcher.urls.voucher}/v1/vouchers/${typedGuid}`, auth);
          if (response.ok) {
            view = (await response.json()) as typeof view;
            break;
          }
          expect(attempt, `the demo owner never got ${typedGuid}`).toBeLessThan(50);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        expect(view.ownerKeyId, spec).toBe(ownerKeys.find((each) => each.spec === spec)!.id);
        expect(view.summary.manufacturerKey.key).toBe(key);
        expect(view.summary.ownerKey.key).toBe(key);
      }
    },
  );
});
