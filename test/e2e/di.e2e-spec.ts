import { execFileSync, spawn } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VOUCHER_SERVICE_APP } from '../../apps/voucher-service/src/voucher-service.app';
import { generateApiKey } from '@ztp/auth';
import { loadConfig } from '@ztp/config';
import { runDeviceSim, type RunSummary, type SimIo } from '@ztp/device-sim';
import { readDeviceCredentialFile } from '@ztp/fdo-client';
import {
  AuditEventEntity,
  createTestDatabase,
  DeviceEntity,
  DiSessionEntity,
  openDataSource,
  TenantEntity,
  type TestDatabase,
  VoucherEntity,
} from '@ztp/persistence';
import { createCsr, pemToDer, validateChain } from '@ztp/pki';
import { createApp, createRootLogger, NestLoggerAdapter, type Runtime, startRuntime } from '@ztp/platform';
import {
  createSoftwareSigner,
  decodeErrorMessage,
  encode,
  encodeDeviceMfgInfo,
  encodeDiAppStart,
  encodeDiSetHmac,
  MessageType,
  parseVoucher,
  PkEnc,
  PkType,
  RawCbor,
  verifyVoucher,
} from '@ztp/protocol';

const REPO_ROOT = new URL('../../', import.meta.url).pathname;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function bufferIo(): SimIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    interactive: false,
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
  };
  return io;
}

/** `node bin/device-sim.js ...` as a child process: the real launcher, output and exit code. */
function deviceSimProcess(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/device-sim.js'), ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe(`FDO DI end to end: voucher service + device simulator (${process.env['DATABASE_URL'] ? 'DATABASE_URL' : 'embedded PostgreSQL'})`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-e2e-di-'));
  const operatorKey = generateApiKey().key;
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  let serverDatabase: TestDatabase | undefined;
  let runtime: Runtime;
  let app: NestExpressApplication;
  let dataSource: DataSource;
  let url: string;
  let tenantId: string;
  let stationKey: string;
  let rootCa: Uint8Array;

  const admin = (path: string, init: { method?: string; body?: unknown; key?: string } = {}) =>
    fetch(`${url}/v1/manufacturers/${tenantId}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        'content-type': 'application/json',
        ...(init.key !== '' ? { authorization: `Bearer ${init.key ?? operatorKey}` } : {}),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });

  const counts = async () => ({
    devices: await dataSource.getRepository(DeviceEntity).count(),
    vouchers: await dataSource.getRepository(VoucherEntity).count(),
    auditEvents: await dataSource.getRepository(AuditEventEntity).count(),
    sessions: await dataSource.getRepository(DiSessionEntity).count(),
  });

  /** A raw FDO POST, as a station would send it. */
  const fdo = async (type: number, body: Uint8Array, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}/fdo/101/msg/${type}`, {
      method: 'POST',
      headers: { 'content-type': 'application/cbor', 'x-station-key': stationKey, ...headers },
      body,
    });
    return {
      type: Number(response.headers.get('message-type')),
      token: response.headers.get('authorization')?.replace(/^Bearer /, ''),
      body: new Uint8Array(await response.arrayBuffer()),
    };
  };

  const appStartBody = async (options: { csr?: Uint8Array; keyType?: number; serial?: string } = {}) =>
    encodeDiAppStart({
      deviceMfgInfo: encodeDeviceMfgInfo({
        keyType: options.keyType ?? PkType.SECP256R1,
        keyEncoding: PkEnc.X509,
        serialNumber: options.serial ?? `RAW-${randomBytes(4).toString('hex')}`,
        deviceInfo: 'raw',
        certInfo:
          options.csr ??
          (await createCsr({ signer: createSoftwareSigner(p256), subject: { commonName: 'raw' } })),
      }),
    });

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      // The demo seed adds a station that admits the local network: this test sets up its own.
      DEMO_SEED: 'off',
      DATA_DIR: dataDir,
      VOUCHER_SERVICE_PORT: String(port),
      QUEUE_PREFIX: `e2edi${randomBytes(4).toString('hex')}`,
      AUTH_OPERATOR_API_KEY_SHA256: createHash('sha256').update(operatorKey).digest('hex'),
      REDIS_URL: process.env['REDIS_URL'],
    };
    if (process.env['DATABASE_URL']) {
      serverDatabase = await createTestDatabase({ migrate: false });
      Object.assign(env, {
        DATABASE_URL: serverDatabase.url,
        KEY_CUSTODY_MASTER_KEY: randomBytes(32).toString('base64'),
      });
    }
    const config = loadConfig(env);
    const logger = createRootLogger(config, 'e2e-di');
    runtime = await startRuntime(config, logger, { migrate: true });
    app = await createApp(VOUCHER_SERVICE_APP, runtime, new NestLoggerAdapter(logger));
    await app.listen(port, '127.0.0.1');
    dataSource = await openDataSource({ url: runtime.database.url, poolSize: 2 });
    tenantId = (
      await dataSource
        .getRepository(TenantEntity)
        .save({ kind: 'manufacturer', name: 'Acme Devices', slug: 'acme-e2e', settings: {} })
    ).id;
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await app?.close();
    await runtime?.close();
    await serverDatabase?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('sets the manufacturer up through the admin API: PKI, rendezvous directives, a keyed station', async () => {
    expect((await admin('/pki', { method: 'POST', body: {}, key: '' })).status).toBe(401);
    const created = await admin('/pki', {
      method: 'POST',
      body: { caKeySpec: 'P-384', voucherKeySpec: 'P-256' },
    });
    expect(created.status).toBe(201);
    const pki = (await created.json()) as { rootCaCertificate: string; voucherKey: { spec: string } };
    expect(pki.voucherKey.spec).toBe('P-256');
    rootCa = pemToDer(pki.rootCaCertificate);
    const again = await admin('/pki', { method: 'POST', body: {} });
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    expect((await admin('/pki', { method: 'POST', body: { caKeySpec: 'P-521' } })).status).toBe(400);

    const rendezvous = await admin('/rendezvous', {
      method: 'PUT',
      body: { directives: [{ ip: '127.0.0.1', port: 8040, protocol: 'http' }] },
    });
    expect(rendezvous.status).toBe(200);
    expect(await rendezvous.json()).toMatchObject({ source: 'tenant' });

    const station = await admin('/stations', {
      method: 'POST',
      body: { name: 'line-7 programmer', productionLine: 'line-7', apiKey: true },
    });
    expect(station.status).toBe(201);
    stationKey = ((await station.json()) as { apiKey: string }).apiKey;
    expect(stationKey).toMatch(/^ztpst_/);
    const listed = (await (await admin('/stations')).json()) as { apiKeyPrefix: string }[];
    expect(listed).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain(stationKey);
  });

  it('runs the simulator’s DI (in process): the voucher verifies, its chain leads to the root, the audit event exists', async () => {
    const credentialPath = join(dataDir, 'device-1.json');
    const io = bufferIo();
    const code = await runDeviceSim(
      [
        'di',
        '--url',
        url,
        '--station-key',
        stationKey,
        '--serial',
        'E2E-0001',
        '--key-type',
        'p384',
        '--credential',
        credentialPath,
      ],
      io,
    );
    expect(io.err).toBe('');
    expect(code).toBe(0);
    const credential = readDeviceCredentialFile(credentialPath);
    expect(credential.serialNumber).toBe('E2E-0001');

    const stored = await dataSource.getRepository(VoucherEntity).findOneByOrFail({ guid: credential.guid });
    expect(stored).toMatchObject({ numEntries: 0, holderTenantId: tenantId, status: 'active' });
    const voucher = parseVoucher(new Uint8Array(stored.cbor));
    verifyVoucher(voucher, { hmacSecret: credential.hmacSecret });
    const chain = validateChain(voucher.deviceCertChain!, [rootCa], { at: new Date() });
    expect(chain.leafPublicKey.equals(createPublicKey(credential.privateKey))).toBe(true);
    const device = await dataSource.getRepository(DeviceEntity).findOneByOrFail({ guid: credential.guid });
    expect(device.lifecycle).toBe('manufactured');
    const event = await dataSource
      .getRepository(AuditEventEntity)
      .findOneByOrFail({ tenantId, eventType: 'device.initialized', subject: `device:${credential.guid}` });
    expect(event.data).toMatchObject({
      serialNumber: 'E2E-0001',
      productionLine: 'line-7',
      stationAuth: 'api-key',
    });
  });

  it('refuses a second DI for the same serial and DI without station credentials', async () => {
    const before = await counts();
    const io = bufferIo();
    const args = ['di', '--url', url, '--serial', 'E2E-0001', '--credential', join(dataDir, 'again.json')];
    expect(await runDeviceSim([...args, '--station-key', stationKey], io)).toBe(1);
    expect(io.err).toMatch(/FDO 101: serial number E2E-0001 has already gone through DI/);
    expect(
      await runDeviceSim(
        ['di', '--url', url, '--serial', 'E2E-0002', '--credential', join(dataDir, 'x.json')],
        io,
      ),
    ).toBe(1);
    expect(io.err).toMatch(/FDO 1: DI refused: no valid manufacturing station credential/);
    expect(await counts()).toEqual(before);
  });

  it('runs DI through bin/device-sim.js', async () => {
    const credentialPath = join(dataDir, 'from-bin.json');
    const result = await deviceSimProcess([
      'di',
      '--url',
      url,
      '--station-key',
      stationKey,
      '--serial',
      'E2E-BIN',
      '--key-type',
      'rsa2048',
      '--credential',
      credentialPath,
      '--json',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as { guid: string };
    expect(readDeviceCredentialFile(credentialPath).guid).toBe(printed.guid);
    expect(await dataSource.getRepository(VoucherEntity).existsBy({ guid: printed.guid })).toBe(true);
  });

  describe('each DI message with bad input: FDO error 255 with the right code, nothing stored', () => {
    const cases: [string, () => Promise<{ type: number; body: Uint8Array }>, number][] = [
      ['10: malformed CBOR', () => fdo(10, Uint8Array.of(0x82, 0x01)), 100],
      ['10: oversized body', () => fdo(10, new Uint8Array(70_000)), 100],
      [
        '10: bad CSR signature',
        async () => {
          const csr = await createCsr({ signer: createSoftwareSigner(p256), subject: { commonName: 'x' } });
          csr[csr.length - 2]! ^= 0x40;
          return fdo(10, await appStartBody({ csr }));
        },
        101,
      ],
      [
        '10: unsupported key type',
        async () => {
          const pem = execFileSync(
            'openssl',
            ['req', '-new', '-newkey', 'ed25519', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=x'],
            { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
          );
          return fdo(10, await appStartBody({ csr: pemToDer(pem, 'CERTIFICATE REQUEST') }));
        },
        101,
      ],
      [
        '10: without station credentials',
        async () => fdo(10, await appStartBody(), { 'x-station-key': '' }),
        1,
      ],
      [
        '12: before 10 (no session token)',
        () => fdo(12, encodeDiSetHmac({ hmac: new RawCbor(encode([5, new Uint8Array(32)])) })),
        1,
      ],
      ['11: not a request', () => fdo(11, encode([])), 100],
      [
        '12: malformed CBOR in a live session',
        async () => {
          const started = await fdo(10, await appStartBody());
          expect(started.type).toBe(MessageType.DISetCredentials);
          return fdo(12, Uint8Array.of(0xa1), { authorization: `Bearer ${started.token}` });
        },
        100,
      ],
      ['12: oversized body', () => fdo(12, new Uint8Array(65_536), { authorization: 'Bearer x' }), 100],
    ];
    it.each(cases)('%s', async (name, send, code) => {
      const before = await counts();
      const answer = await send();
      expect(answer.type).toBe(MessageType.Error);
      expect(decodeErrorMessage(answer.body).code).toBe(code);
      const after = await counts();
      expect({ ...after, sessions: 0 }).toEqual({ ...before, sessions: 0 });
      // Only a well-formed DI.AppStart opens a session (the one case that sends one first).
      expect(after.sessions - before.sessions).toBe(
        name.startsWith('12: malformed CBOR in a live session') ? 1 : 0,
      );
    });
  });

  const concurrency = 4;

  it(`drives 20 devices with ${concurrency} in flight: \`device-sim run\` through bin/device-sim.js`, async () => {
    const result = await deviceSimProcess([
      'run',
      '--count',
      '20',
      '--concurrency',
      String(concurrency),
      '--url',
      url,
      '--station-key',
      stationKey,
      '--serial-prefix',
      'FLEET-',
    ]);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((line) => line['event'] === 'device')).toHaveLength(20);
    const summary = lines.at(-1) as unknown as RunSummary & { event: string };
    expect(summary.failures).toEqual([]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(summary).toMatchObject({
      event: 'summary',
      flow: 'di',
      devices: 20,
      succeeded: 20,
      failed: 0,
      failures: [],
    });
    console.log(
      `device-sim run --count 20 --concurrency ${concurrency}: ${summary.succeeded}/20 in ${summary.elapsedMs} ms, ` +
        `p50 ${summary.latencyMs!.p50} ms, p95 ${summary.latencyMs!.p95} ms, p99 ${summary.latencyMs!.p99} ms`,
    );
    const fleet = await dataSource.query(
      `SELECT count(*)::int AS n FROM device WHERE manufacturer_tenant_id = $1 AND serial_number LIKE 'FLEET-%'`,
      [tenantId],
    );
    expect(fleet[0].n).toBe(20);
    // E2E-0001, E2E-BIN and the fleet: one device.initialized event each.
    expect(
      await dataSource.getRepository(AuditEventEntity).countBy({ tenantId, eventType: 'device.initialized' }),
    ).toBe(22);
  });
});
