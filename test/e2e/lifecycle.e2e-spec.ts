import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type INestApplicationContext } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyService } from '@ztp/auth';
import { loadConfig } from '@ztp/config';
import {
  FdoErrorReply,
  FdoHttpSession,
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
import { KexSuite } from '@ztp/protocol';
import { DataSource } from 'typeorm';
import { runOnboardCommand } from '../../apps/device-sim/src/commands/onboard';
import { runTo2Command } from '../../apps/device-sim/src/commands/to2';
import { type SimIo } from '../../apps/device-sim/src/io';
import { runCli } from '../../apps/ztp/src/program';
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
 * One device's whole life (issue #14), on the apps and the worker in one process: DI -> TO0 -> TO1
 * -> TO2 -> factory reset -> TO1 -> TO2 with the same owner (re-onboarding same-owner, no API call)
 * -> resale accepted by a second owner -> reset -> TO1 finds the second owner -> TO2 ->
 * decommission -> TO1 and TO2 refused, DI of its serial refused until the manufacturer refurbishes
 * it. The first owner no longer sees the device, every tenant's audit chain verifies and lists each
 * step, and the webhook receiver sees one event per lifecycle transition. A "factory reset" of the
 * simulated device is running TO1 again with the credential it holds (TO2 replaced it each time).
 */

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const silentIo: SimIo = { stdout: () => undefined, stderr: () => undefined, interactive: false };

interface Received {
  id: string;
  type: string;
  tenantId: string;
  data: Record<string, unknown>;
}

describe(`device lifecycle end to end (${process.env['DATABASE_URL'] ? 'DATABASE_URL' : 'embedded PostgreSQL'})`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-e2e-lifecycle-'));
  let serverDatabase: TestDatabase | undefined;
  let runtime: Runtime;
  let apps: NestExpressApplication[] = [];
  let worker: INestApplicationContext;
  let dataSource: DataSource;
  let receiver: Server;
  const received: Received[] = [];
  const urls = { rendezvous: '', voucherService: '', ownerOnboarding: '', receiver: '' };
  const ids = { manufacturer: '', first: '', second: '' };
  const keys = { station: '', manufacturer: '', first: '', second: '' };
  let secondOwnerKeyId = '';

  beforeAll(async () => {
    receiver = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    urls.receiver = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;

    const [rv, vs, oo] = [await freePort(), await freePort(), await freePort()];
    urls.rendezvous = `http://127.0.0.1:${rv}`;
    urls.voucherService = `http://127.0.0.1:${vs}`;
    urls.ownerOnboarding = `http://127.0.0.1:${oo}`;
    const env: NodeJS.ProcessEnv = {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      DEMO_SEED: 'off',
      RENDEZVOUS_DEFAULT_POLICY: 'open',
      RENDEZVOUS_LOOKUP_CACHE_SECONDS: '0',
      TO0_SCAN_INTERVAL_SECONDS: '1',
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'on',
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
    await setUp(apps[1]!);
  });

  afterAll(async () => {
    await worker?.close();
    await Promise.all(apps.map((app) => app.close()));
    apps = [];
    await dataSource?.destroy();
    await runtime?.close();
    await serverDatabase?.drop();
    receiver?.closeAllConnections();
    await new Promise((resolve) => receiver?.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  /**
   * A manufacturer whose rule hands every device to the first owner; two owners with onboarding
   * addresses and re-onboarding same-owner (the first owner's devices come back after a reset with
   * no API call); webhooks to the receiver.
   */
  async function setUp(app: NestExpressApplication): Promise<void> {
    const actor = 'system:e2e';
    const tenants = app.get(TenantService);
    const apiKeys = app.get(ApiKeyService);
    const onboarding = [
      { ip: '127.0.0.1', port: Number(new URL(urls.ownerOnboarding).port), protocol: 'http' as const },
    ];
    const manufacturer = await tenants.create(
      {
        kind: 'manufacturer',
        name: 'Maker',
        slug: 'maker',
        settings: {
          rendezvous: [{ ip: '127.0.0.1', port: Number(new URL(urls.rendezvous).port), protocol: 'http' }],
        },
      },
      actor,
    );
    const first = await tenants.create(
      {
        kind: 'owner',
        name: 'First owner',
        slug: 'first',
        settings: {
          autoAcceptTransfersFrom: [manufacturer.id],
          ownerOnboarding: onboarding,
          reonboarding: 'same-owner',
        },
      },
      actor,
    );
    const second = await tenants.create(
      {
        kind: 'owner',
        name: 'Second owner',
        slug: 'second',
        settings: { ownerOnboarding: onboarding, reonboarding: 'same-owner' },
      },
      actor,
    );
    await app
      .get(InitializeManufacturerPki)
      .execute({ tenantId: manufacturer.id, actor, voucherKeySpec: 'P-256' });
    const station = await app
      .get(CreateStation)
      .execute({ tenantId: manufacturer.id, actor, name: 'line-1', apiKey: true });
    await app.get(OwnerKeyService).create(first.id, { name: 'main', spec: 'P-256' }, actor);
    secondOwnerKeyId = (
      await app.get(OwnerKeyService).create(second.id, { name: 'main', spec: 'P-256' }, actor)
    ).id;
    await app
      .get(AssignmentRuleService)
      .create(
        manufacturer.id,
        { name: 'all to first', targetTenant: first.id, priority: 100, enabled: true },
        actor,
      );
    const admin = async (tenantId: string) =>
      (await apiKeys.create({ tenantId, name: 'admin', roles: ['tenant:admin'], createdBy: actor })).key;
    Object.assign(ids, { manufacturer: manufacturer.id, first: first.id, second: second.id });
    Object.assign(keys, {
      station: station.apiKey!,
      manufacturer: await admin(manufacturer.id),
      first: await admin(first.id),
      second: await admin(second.id),
    });
    // The second owner gives its devices an operational certificate (revoked on decommission).
    await api(keys.second, 'POST', '/v1/onboarding/plans', {
      name: 'certificate',
      selector: { kind: 'device-info', pattern: '*' },
      content: { certificate: { validityDays: 30 } },
    });
    for (const key of [keys.first, keys.second])
      await api(key, 'POST', '/v1/webhooks', {
        url: urls.receiver,
        eventTypes: [
          'device.owned',
          'device.onboarded',
          'device.disabled',
          'device.enabled',
          'device.decommissioned',
        ],
      });
  }

  async function api(key: string, method: string, path: string, body?: unknown, expected?: number) {
    const response = await fetch(`${urls.voucherService}${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (expected !== undefined ? response.status !== expected : !response.ok)
      throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The rendezvous serves a registration for the GUID signed by this tenant's worker (its TO0 state says so). */
  const registeredFor = (guid: string, tenantId: string) =>
    until(`TO0 of ${guid} by ${tenantId}`, async () => {
      const rows: unknown[] = await dataSource.query(
        `SELECT 1 FROM to0_state s JOIN voucher v ON v.id = s.voucher_id
          WHERE v.guid = $1 AND v.status = 'active' AND v.holder_tenant_id = $2 AND s.status = 'registered'
            AND EXISTS (SELECT 1 FROM rv_registration r WHERE r.guid = $1 AND r.owner_key_sha256 = v.owner_key_sha256)`,
        [guid, tenantId],
      );
      return rows.length > 0 ? true : undefined;
    });

  const lifecycleOf = async (guid: string) =>
    (
      (await dataSource.query(
        `SELECT d.lifecycle FROM device d WHERE d.guid = $1 OR d.original_guid = $1
            OR d.id IN (SELECT device_id FROM voucher WHERE guid = $1)`,
        [guid],
      )) as { lifecycle: string }[]
    )[0]!.lifecycle;

  const holderOf = async (guid: string) =>
    (
      (await dataSource.query(`SELECT holder_tenant_id FROM voucher WHERE guid = $1 AND status = 'active'`, [
        guid,
      ])) as { holder_tenant_id: string }[]
    )[0]?.holder_tenant_id;

  const onboard = (credential: string, folder: string) =>
    runOnboardCommand({ credential, folder, json: true }, { io: silentIo });

  it('DI -> TO0 -> TO1 -> TO2 -> reset -> TO2 (same owner) -> resale -> reset -> TO2 (second owner) -> decommission', async () => {
    const folder = mkdtempSync(join(dataDir, 'device-'));
    const credentialFile = join(folder, 'credential.json');
    const serialNumber = `SN-${randomBytes(4).toString('hex')}`;
    const deviceKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const di = () =>
      runDeviceInitialize({
        session: new FdoHttpSession({
          baseUrl: urls.voucherService,
          headers: { 'x-station-key': keys.station },
        }),
        serialNumber,
        deviceInfo: 'lifecycle-e2e',
        privateKey: deviceKey,
        kexSuite: KexSuite.ECDH256,
        cipherSuite: 'A128GCM',
      });

    // DI; the rule hands the voucher to the first owner, whose worker registers it (TO0).
    const credential = await di();
    writeDeviceCredentialFile(credentialFile, credential);
    const guid0 = credential.guid;
    await registeredFor(guid0, ids.first);
    expect(await lifecycleOf(guid0)).toBe('owned');

    // First boot: TO1 + TO2 with the first owner, new credentials.
    await onboard(credentialFile, folder);
    const guid1 = readDeviceCredentialFile(credentialFile).guid;
    expect(guid1).not.toBe(guid0);
    expect(await lifecycleOf(guid1)).toBe('onboarded');
    expect(await holderOf(guid1)).toBe(ids.first);

    // Factory reset: same-owner re-onboarding registered the replacement voucher, no API call.
    await registeredFor(guid1, ids.first);
    await onboard(credentialFile, folder);
    const guid2 = readDeviceCredentialFile(credentialFile).guid;
    expect(guid2).not.toBe(guid1);
    expect(await holderOf(guid2)).toBe(ids.first);
    await registeredFor(guid2, ids.first);

    // Resale: the first owner transfers the replacement voucher, the second owner accepts.
    const transfer = await api(keys.first, 'POST', `/v1/vouchers/${guid2}/transfers`, {
      to: { tenant: ids.second, ownerKeyId: secondOwnerKeyId },
    });
    await api(keys.second, 'POST', `/v1/transfers/${transfer['id'] as string}/accept`, undefined, 200);
    expect(await lifecycleOf(guid2)).toBe('owned');
    // The second owner's worker registers the extended voucher (it extends the first owner's).
    await registeredFor(guid2, ids.second);
    const status = await api(keys.second, 'GET', `/v1/devices/${guid2}`);
    expect((status['to0'] as { status: string }[]).map((state) => state.status)).toContain('registered');

    // Reset: TO1 now finds the second owner; TO2 with it.
    const { route } = await onboard(credentialFile, folder);
    expect(route.bypass).toBe(false);
    const guid3 = readDeviceCredentialFile(credentialFile).guid;
    expect(await holderOf(guid3)).toBe(ids.second);
    expect(await lifecycleOf(guid3)).toBe('onboarded');
    await registeredFor(guid3, ids.second);

    // The first owner no longer sees the device, by any of its GUIDs.
    for (const guid of [guid0, guid1, guid2, guid3])
      await api(keys.first, 'GET', `/v1/devices/${guid}`, undefined, 404);

    // Decommission (the second owner): TO1 and TO2 refused, nothing more moves it.
    // With the operator CLI: `ztp device decommission GUID`.
    const printed: string[] = [];
    const cliIo = {
      stdout: (data: string | Uint8Array) => printed.push(String(data)),
      stderr: (text: string) => printed.push(text),
      readFile: () => new Uint8Array(),
      writeFile: () => undefined,
    };
    const cli = (...args: string[]) =>
      runCli(['device', ...args, '--url', urls.voucherService, '--api-key', keys.second], cliIo);
    expect(await cli('decommission', guid3)).toBe(0);
    expect(JSON.parse(printed.join(''))).toMatchObject({ lifecycle: 'decommissioned' });
    const certificates: { revocation_reason: string | null }[] = await dataSource.query(
      `SELECT c.revocation_reason FROM issued_certificate c JOIN device d ON d.id = c.device_id
        WHERE d.guid = $1`,
      [guid3],
    );
    expect(certificates.length).toBeGreaterThan(0);
    expect(certificates.every((row) => row.revocation_reason === 'cessationOfOperation')).toBe(true);
    printed.length = 0;
    await expect(onboard(credentialFile, folder)).rejects.toThrow(/TO1 failed/);
    const to2 = runTo2Command(
      { credential: credentialFile, folder, ownerUrl: urls.ownerOnboarding, json: true },
      { io: silentIo },
    );
    await expect(to2).rejects.toThrow(/decommissioned/);
    expect(readDeviceCredentialFile(credentialFile).guid).toBe(guid3);
    expect(await cli('enable', guid3)).toBe(1);
    expect(printed.join('')).toMatch(/409 Device decommissioned/);

    // DI of its serial is refused until the manufacturer refurbishes it; then it is a new device.
    await expect(di()).rejects.toSatisfy(
      (err: unknown) => err instanceof FdoErrorReply && /decommissioned device/.test(err.message),
    );
    await api(
      keys.second,
      'POST',
      `/v1/manufacturers/${ids.manufacturer}/devices/refurbish`,
      { serialNumber },
      404,
    );
    await api(
      keys.manufacturer,
      'POST',
      `/v1/manufacturers/${ids.manufacturer}/devices/refurbish`,
      { serialNumber },
      200,
    );
    const reborn = await di();
    expect(reborn.guid).not.toBe(guid0);
    expect(await lifecycleOf(guid3)).toBe('decommissioned');

    // Every tenant's audit chain verifies and lists every step.
    for (const key of [keys.manufacturer, keys.first, keys.second])
      expect(await api(key, 'GET', '/v1/audit/verify')).toMatchObject({ valid: true });
    const eventTypes = async (key: string) =>
      ((await api(key, 'GET', '/v1/audit/events?limit=200'))['items'] as { eventType: string }[]).map(
        (event) => event.eventType,
      );
    expect(await eventTypes(keys.first)).toEqual(
      expect.arrayContaining(['voucher.received', 'device.owned', 'device.onboarded', 'voucher.transferred']),
    );
    expect((await eventTypes(keys.first)).filter((type) => type === 'device.onboarded')).toHaveLength(2);
    expect(await eventTypes(keys.second)).toEqual(
      expect.arrayContaining([
        'voucher.received',
        'device.owned',
        'device.onboarded',
        'device.decommissioned',
      ]),
    );
    expect(await eventTypes(keys.manufacturer)).toEqual(
      expect.arrayContaining(['device.initialized', 'voucher.transferred', 'device.refurbished']),
    );

    // The receiver saw one event per transition: owned, onboarded twice (first owner); owned
    // again on the resale, onboarded, decommissioned (second owner); and nothing else.
    const expected = [
      `${ids.first} device.owned`,
      `${ids.first} device.onboarded`,
      `${ids.first} device.onboarded`,
      `${ids.second} device.owned`,
      `${ids.second} device.onboarded`,
      `${ids.second} device.decommissioned`,
      // The refurbished serial's new device, handed to the first owner by the rule.
      `${ids.first} device.owned`,
    ];
    await until('every webhook', async () => (received.length >= expected.length ? true : undefined));
    // Nothing more comes after a while.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const unique = new Map(received.map((event) => [event.id, event]));
    // Deliveries run concurrently, so they may arrive in any order.
    expect([...unique.values()].map((event) => `${event.tenantId} ${event.type}`).sort()).toEqual(
      expected.sort(),
    );
    expect(unique.size).toBe(received.length);
    const resale = [...unique.values()].find(
      (event) => event.tenantId === ids.second && event.type === 'device.owned',
    );
    expect(resale?.data).toMatchObject({ from: 'onboarded', to: 'owned' });
  }, 180_000);
});
