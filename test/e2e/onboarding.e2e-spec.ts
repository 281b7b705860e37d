import { generateKeyPairSync, type KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type INestApplicationContext } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyService } from '@ztp/auth';
import { loadConfig } from '@ztp/config';
import {
  type CipherSuiteName,
  FdoHttpSession,
  OPERATIONAL_FILES,
  readDeviceCredentialFile,
  runDeviceInitialize,
  writeDeviceCredentialFile,
} from '@ztp/fdo-client';
import { createTestDatabase, ENTITIES, type TestDatabase } from '@ztp/persistence';
import {
  createApp,
  createRootLogger,
  createWorkerContext,
  NestLoggerAdapter,
  type Runtime,
  startRuntime,
} from '@ztp/platform';
import { type KeySpec } from '@ztp/pki';
import { CipherSuite, KexSuite, parseVoucher } from '@ztp/protocol';
import { JobQueues, requestTo0Registration } from '@ztp/queue';
import { DataSource } from 'typeorm';
import { runOnboardCommand } from '../../apps/device-sim/src/commands/onboard';
import { runTo2Command } from '../../apps/device-sim/src/commands/to2';
import { type SimIo } from '../../apps/device-sim/src/io';
import { OWNER_ONBOARDING_APP } from '../../apps/owner-onboarding/src/owner-onboarding.app';
import { RENDEZVOUS_APP } from '../../apps/rendezvous/src/rendezvous.app';
import { AssignmentRuleService } from '../../apps/voucher-service/src/assignment/assignment-rule.service';
import { InitializeManufacturerPki } from '../../apps/voucher-service/src/manufacturing/pki/initialize-manufacturer-pki.use-case';
import { CreateStation } from '../../apps/voucher-service/src/manufacturing/stations/create-station.use-case';
import { OwnerKeyService } from '../../apps/voucher-service/src/owner-keys/owner-key.service';
import { TenantService } from '../../apps/voucher-service/src/tenants/tenant.service';
import { VOUCHER_SERVICE_APP } from '../../apps/voucher-service/src/voucher-service.app';
import { WORKER_MODULE } from '../../apps/worker/src/worker.module';

/**
 * The whole FDO life of devices in one process: DI at the voucher service (a manufacturer per key
 * type, whose assignment rule hands every device to an owner with an owner key of that type) ->
 * the owner holds the voucher -> automatic TO0 (the worker) at rendezvous -> `device-sim onboard` (TO1, then TO2 with the
 * owner's configuration plan: operational certificate, a script file and a command running it) ->
 * the ledger holds the replacement voucher and the audit trail shows each step.
 *
 * The matrix: every device key type (P-256, P-384, RSA-2048, RSA-3072, each with an owner key of
 * the same type) with every key exchange its owner key allows (ECDH256, ECDH384, DHKEXid14,
 * DHKEXid15 for all; ASYMKEX2048/3072 for RSA-2048/3072 owners), and every tunnel cipher with one
 * key type (P-256, ECDH256): 28 onboardings, 15-35 s on a 2-core machine. ONBOARDING_MATRIX=full
 * runs the full cross product (198 onboardings, about 5 minutes: RSA-3072 Owner2Key generation per
 * onboarding dominates) instead.
 */

const SPECS: readonly KeySpec[] = ['P-256', 'P-384', 'RSA-2048', 'RSA-3072'];
const CIPHERS = Object.keys(CipherSuite) as CipherSuiteName[];
const KEX_FOR: Record<KeySpec, KexSuite[]> = {
  'P-256': [KexSuite.ECDH256, KexSuite.ECDH384, KexSuite.DHKEXid14, KexSuite.DHKEXid15],
  'P-384': [KexSuite.ECDH256, KexSuite.ECDH384, KexSuite.DHKEXid14, KexSuite.DHKEXid15],
  'RSA-2048': [
    KexSuite.ECDH256,
    KexSuite.ECDH384,
    KexSuite.DHKEXid14,
    KexSuite.DHKEXid15,
    KexSuite.ASYMKEX2048,
  ],
  'RSA-3072': [
    KexSuite.ECDH256,
    KexSuite.ECDH384,
    KexSuite.DHKEXid14,
    KexSuite.DHKEXid15,
    KexSuite.ASYMKEX3072,
  ],
};

interface MatrixCase {
  spec: KeySpec;
  kex: KexSuite;
  cipher: CipherSuiteName;
}

/** The full cross product (ONBOARDING_MATRIX=full), or every cipher on P-256 and every kex per key type. */
const FULL = process.env['ONBOARDING_MATRIX'] === 'full';
const CASES: MatrixCase[] = FULL
  ? SPECS.flatMap((spec) => KEX_FOR[spec].flatMap((kex) => CIPHERS.map((cipher) => ({ spec, kex, cipher }))))
  : [
      ...CIPHERS.map((cipher) => ({ spec: 'P-256' as KeySpec, kex: KexSuite.ECDH256, cipher })),
      ...SPECS.flatMap((spec, s) =>
        KEX_FOR[spec]
          .filter((kex) => !(spec === 'P-256' && kex === KexSuite.ECDH256))
          // Rotate the ciphers over these too, so more pairs get exercised.
          .map((kex, k) => ({ spec, kex, cipher: CIPHERS[(s * 5 + k * 3) % CIPHERS.length]! })),
      ),
    ];

const SCRIPT = Buffer.from('#!/bin/sh\necho "configured by $1" > configured.txt\necho ok\n');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const silentIo: SimIo = { stdout: () => undefined, stderr: () => undefined, interactive: false };

interface Pair {
  spec: KeySpec;
  manufacturerId: string;
  stationKey: string;
  ownerId: string;
  ownerAdminKey: string;
  deviceKey: KeyObject;
}

describe(`FDO onboarding end to end (${process.env['DATABASE_URL'] ? 'DATABASE_URL' : 'embedded PostgreSQL'})`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-e2e-onboarding-'));
  let serverDatabase: TestDatabase | undefined;
  let runtime: Runtime;
  let apps: NestExpressApplication[] = [];
  let worker: INestApplicationContext;
  let dataSource: DataSource;
  let queues: JobQueues;
  const urls = { rendezvous: '', voucherService: '', ownerOnboarding: '' };
  const pairs = new Map<KeySpec, Pair>();

  beforeAll(async () => {
    const [rv, vs, oo] = [await freePort(), await freePort(), await freePort()];
    urls.rendezvous = `http://127.0.0.1:${rv}`;
    urls.voucherService = `http://127.0.0.1:${vs}`;
    urls.ownerOnboarding = `http://127.0.0.1:${oo}`;
    const env: NodeJS.ProcessEnv = {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      DEMO_SEED: 'off',
      RENDEZVOUS_DEFAULT_POLICY: 'open',
      TO0_SCAN_INTERVAL_SECONDS: '1',
      RENDEZVOUS_PORT: String(rv),
      VOUCHER_SERVICE_PORT: String(vs),
      OWNER_ONBOARDING_PORT: String(oo),
      QUEUE_PREFIX: `e2e${randomBytes(4).toString('hex')}`,
      REDIS_URL: process.env['REDIS_URL'],
    };
    if (process.env['DATABASE_URL']) {
      serverDatabase = await createTestDatabase({ migrate: false });
      env['DATABASE_URL'] = serverDatabase.url;
      env['KEY_CUSTODY_MASTER_KEY'] = randomBytes(32).toString('base64');
    }
    const config = loadConfig(env);
    const logger = createRootLogger(config, 'e2e');
    runtime = await startRuntime(config, logger, { migrate: true });
    for (const [descriptor, port] of [
      [RENDEZVOUS_APP, rv],
      [VOUCHER_SERVICE_APP, vs],
      [OWNER_ONBOARDING_APP, oo],
    ] as const) {
      const app = await createApp(descriptor, runtime, new NestLoggerAdapter(logger));
      await app.listen(port, '127.0.0.1');
      apps.push(app);
    }
    worker = await createWorkerContext(runtime, WORKER_MODULE, new NestLoggerAdapter(logger));
    dataSource = await new DataSource({
      type: 'postgres',
      url: runtime.database.url,
      entities: ENTITIES,
      poolSize: 2,
    }).initialize();
    const voucherService = apps[1]!;
    queues = voucherService.get(JobQueues, { strict: false });
    for (const spec of SPECS) pairs.set(spec, await setUpPair(voucherService, spec));
  });

  afterAll(async () => {
    // Jobs first: a job still running would lose its connections under it.
    await worker?.close();
    await Promise.all(apps.map((app) => app.close()));
    apps = [];
    await dataSource?.destroy();
    await runtime?.close();
    await serverDatabase?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** What the demo seed does, for one key type: manufacturer (PKI, keyed station, rule) and owner. */
  async function setUpPair(app: NestExpressApplication, spec: KeySpec): Promise<Pair> {
    const actor = 'system:e2e';
    const slug = spec.toLowerCase();
    const tenants = app.get(TenantService);
    const manufacturer = await tenants.create(
      {
        kind: 'manufacturer',
        name: `Maker ${spec}`,
        slug: `maker-${slug}`,
        settings: {
          rendezvous: [{ ip: '127.0.0.1', port: Number(new URL(urls.rendezvous).port), protocol: 'http' }],
        },
      },
      actor,
    );
    const owner = await tenants.create(
      {
        kind: 'owner',
        name: `Owner ${spec}`,
        slug: `owner-${slug}`,
        settings: {
          autoAcceptTransfersFrom: [manufacturer.id],
          ownerOnboarding: [
            { ip: '127.0.0.1', port: Number(new URL(urls.ownerOnboarding).port), protocol: 'http' },
          ],
        },
      },
      actor,
    );
    await app
      .get(InitializeManufacturerPki)
      .execute({ tenantId: manufacturer.id, actor, voucherKeySpec: spec });
    const station = await app.get(CreateStation).execute({
      tenantId: manufacturer.id,
      actor,
      name: `station-${slug}`,
      apiKey: true,
    });
    await app.get(OwnerKeyService).create(owner.id, { name: `key-${slug}`, spec }, actor);
    await app
      .get(AssignmentRuleService)
      .create(
        manufacturer.id,
        { name: `all to ${owner.slug}`, targetTenant: owner.id, priority: 100, enabled: true },
        actor,
      );
    const ownerAdmin = await app
      .get(ApiKeyService)
      .create({ tenantId: owner.id, name: 'admin', roles: ['tenant:admin'], createdBy: actor });
    const pair: Pair = {
      spec,
      manufacturerId: manufacturer.id,
      stationKey: station.apiKey!,
      ownerId: owner.id,
      ownerAdminKey: ownerAdmin.key,
      deviceKey:
        spec === 'P-256' || spec === 'P-384'
          ? generateKeyPairSync('ec', { namedCurve: spec }).privateKey
          : generateKeyPairSync('rsa', { modulusLength: spec === 'RSA-2048' ? 2048 : 3072 }).privateKey,
    };
    await configurePlan(pair);
    return pair;
  }

  async function api(key: string, method: string, path: string, body?: unknown, type = 'application/json') {
    const response = await fetch(`${urls.voucherService}${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': type },
      body: body === undefined ? undefined : body instanceof Uint8Array ? body : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  }

  /** Every device of the owner gets its operational certificate, a script and the command running it. */
  async function configurePlan(pair: Pair): Promise<void> {
    const file = await api(
      pair.ownerAdminKey,
      'POST',
      '/v1/onboarding/files?name=setup',
      SCRIPT,
      'application/octet-stream',
    );
    await api(pair.ownerAdminKey, 'POST', '/v1/onboarding/plans', {
      name: 'everything',
      selector: { kind: 'device-info', pattern: '*' },
      content: {
        certificate: { validityDays: 30 },
        files: [{ fileId: file['id'], path: 'setup.sh' }],
        commands: [{ command: './setup.sh', args: [pair.spec] }],
      },
    });
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** DI -> the owner holds the voucher -> TO0. Returns the device's folder and credential file. */
  async function manufactureAndRegister(pair: Pair, kex: KexSuite, cipher: CipherSuiteName) {
    const folder = mkdtempSync(join(dataDir, 'device-'));
    const credentialFile = join(folder, 'credential.json');
    const credential = await runDeviceInitialize({
      session: new FdoHttpSession({
        baseUrl: urls.voucherService,
        headers: { 'x-station-key': pair.stationKey },
      }),
      serialNumber: `SN-${randomBytes(4).toString('hex')}`,
      deviceInfo: `e2e-${pair.spec}`,
      privateKey: pair.deviceKey,
      kexSuite: kex,
      cipherSuite: cipher,
    });
    writeDeviceCredentialFile(credentialFile, credential);
    const voucherId = await until('the owner to hold the voucher', async () => {
      const rows: { id: string }[] = await dataSource.query(
        `SELECT id FROM voucher WHERE guid = $1 AND status = 'active' AND holder_tenant_id = $2`,
        [credential.guid, pair.ownerId],
      );
      return rows[0]?.id;
    });
    // The worker's automatic TO0 registers it at the rendezvous server of its RendezvousInfo.
    await requestTo0Registration(queues, voucherId);
    await until('TO0 registration', async () => {
      const rows: { status: string }[] = await dataSource.query(
        `SELECT status FROM to0_state WHERE voucher_id = $1 AND status = 'registered'`,
        [voucherId],
      );
      return rows[0];
    });
    return { folder, credentialFile, originalGuid: credential.guid };
  }

  async function ownerCa(ownerId: string): Promise<X509Certificate> {
    const rows: { certificate: Buffer }[] = await dataSource.query(
      `SELECT certificate FROM owner_ca WHERE owner_tenant_id = $1`,
      [ownerId],
    );
    return new X509Certificate(rows[0]!.certificate);
  }

  it(
    `onboards ${CASES.length} devices across key types, key exchanges and ciphers`,
    async () => {
      const started = performance.now();
      for (const { spec, kex, cipher } of CASES) {
        const pair = pairs.get(spec)!;
        const device = await manufactureAndRegister(pair, kex, cipher);
        const { to2 } = await runOnboardCommand(
          { credential: device.credentialFile, folder: device.folder, kex, cipher, json: true },
          { io: silentIo },
        );
        const label = `${spec} ${kex} ${cipher}`;
        expect(to2?.credentialReused, label).toBe(false);

        // The device: its operational certificate chains to the owner CA; the script ran.
        const operational = new X509Certificate(
          readFileSync(join(device.folder, OPERATIONAL_FILES.certificate)),
        );
        const ca = await ownerCa(pair.ownerId);
        expect(operational.checkIssued(ca) && operational.verify(ca.publicKey), label).toBe(true);
        expect(readFileSync(join(device.folder, 'setup.sh'))).toEqual(SCRIPT);
        expect(readFileSync(join(device.folder, 'configured.txt'), 'utf8')).toBe(`configured by ${spec}\n`);

        // The ledger: the replacement voucher under the new GUID, the old one retired.
        const saved = readDeviceCredentialFile(device.credentialFile);
        expect(saved.guid).not.toBe(device.originalGuid);
        const vouchers: { guid: string; status: string; cbor: Buffer }[] = await dataSource.query(
          `SELECT v.guid, v.status, v.cbor FROM voucher v JOIN device d ON d.id = v.device_id
          WHERE d.original_guid = $1 AND v.holder_tenant_id = $2 ORDER BY v.created_at`,
          [device.originalGuid, pair.ownerId],
        );
        expect(vouchers.map((v) => [v.guid, v.status]).at(-1), label).toEqual([saved.guid, 'active']);
        expect(vouchers.find((v) => v.guid === device.originalGuid)?.status).toBe('retired');
        expect(parseVoucher(new Uint8Array(vouchers.at(-1)!.cbor)).entries).toHaveLength(0);
      }
      console.log(
        `${CASES.length} onboardings (DI, transfer, TO0, TO1, TO2) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );

      // The audit trail of one device shows each step, on the manufacturer's and the owner's side.
      const pair = pairs.get('P-256')!;
      const types = async (tenantId: string) =>
        (
          (await dataSource.query(`SELECT DISTINCT event_type FROM audit_event WHERE tenant_id = $1`, [
            tenantId,
          ])) as {
            event_type: string;
          }[]
        ).map((row) => row.event_type);
      expect(await types(pair.manufacturerId)).toEqual(expect.arrayContaining(['device.initialized']));
      expect(await types(pair.ownerId)).toEqual(
        expect.arrayContaining(['certificate.issued', 'voucher.replaced', 'device.onboarded']),
      );
    },
    FULL ? 900_000 : 120_000,
  );

  it('device-sim: onboard --to1-only --save-to1, then to2 --to1 <file>; to2 --owner-url for RV bypass', async () => {
    const pair = pairs.get('P-384')!;
    const device = await manufactureAndRegister(pair, KexSuite.ECDH384, 'A256GCM');
    // The bundle is rendered by the worker's job before the device arrives.
    await api(pair.ownerAdminKey, 'POST', '/v1/onboarding/bundles/render');
    await until('the bundle render job', async () => {
      const view = (await api(
        pair.ownerAdminKey,
        'GET',
        `/v1/onboarding/devices/${device.originalGuid}`,
      )) as {
        bundle: { deliveryStatus: string; steps: unknown[] } | null;
      };
      return view.bundle?.deliveryStatus === 'queued' ? view.bundle : undefined;
    });
    const saved = join(device.folder, 'to1.json');
    const lines: string[] = [];
    const io: SimIo = { stdout: (text) => lines.push(text), stderr: () => undefined, interactive: false };
    const { to2 } = await runOnboardCommand(
      { credential: device.credentialFile, to1Only: true, saveTo1: saved, json: true },
      { io },
    );
    expect(to2).toBeNull();
    expect(readDeviceCredentialFile(device.credentialFile).guid).toBe(device.originalGuid);
    const viaFile = await runTo2Command(
      { credential: device.credentialFile, folder: device.folder, to1: saved, json: true },
      { io },
    );
    expect(viaFile.credentialReused).toBe(false);
    const replaced = readDeviceCredentialFile(device.credentialFile);
    expect(replaced.guid).toBe(viaFile.credential.guid);
    const status = (await api(pair.ownerAdminKey, 'GET', `/v1/onboarding/devices/${replaced.guid}`)) as {
      device: { lifecycle: string };
      bundle: { deliveryStatus: string; results: { module: string; ok: boolean }[] };
      devmod: { modules: string[] };
      certificates: unknown[];
    };
    expect(status.device.lifecycle).toBe('onboarded');
    expect(status.bundle.deliveryStatus).toBe('delivered');
    expect(status.bundle.results.map((r) => [r.module, r.ok])).toEqual([
      ['fdo.csr', true],
      ['fdo.download', true],
      ['fdo.command', true],
    ]);
    expect(status.devmod.modules).toContain('fdo.csr');
    expect(status.certificates).toHaveLength(1);
    expect(lines.map((line) => (JSON.parse(line) as { event: string }).event)).toEqual(
      expect.arrayContaining(['to1', 'service-info', 'onboarded']),
    );

    // The owner holds the replacement voucher; the replaced credential onboards again, directly.
    const again = await runTo2Command(
      {
        credential: device.credentialFile,
        folder: device.folder,
        ownerUrl: urls.ownerOnboarding,
        json: true,
      },
      { io },
    );
    expect(again.credential.guid).not.toBe(replaced.guid);
    expect(readDeviceCredentialFile(device.credentialFile).guid).toBe(again.credential.guid);
  });
});
