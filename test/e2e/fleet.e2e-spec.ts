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
import { FdoHttpSession, runDeviceInitialize, writeDeviceCredentialFile } from '@ztp/fdo-client';
import { createTestDatabase, type TestDatabase } from '@ztp/persistence';
import {
  createApp,
  createRootLogger,
  createWorkerContext,
  NestLoggerAdapter,
  type Runtime,
  startRuntime,
  startWorkerProbes,
  type WorkerProbes,
} from '@ztp/platform';
import { KexSuite } from '@ztp/protocol';
import { runOnboardCommand } from '../../apps/device-sim/src/commands/onboard';
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
 * Issue 17's Done line: one device fails TO2 (its owner's plan runs a command the device does not
 * have), one fails TO1 (its owner has no onboarding address, so nothing registered it at
 * rendezvous). Both are found as an operator would: `GET /v1/devices?result=failed` with their
 * error codes and reasons, each device's events, the failure webhooks, and the metrics.
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
  type: string;
  subject: string | null;
  data: Record<string, unknown>;
}

describe(`fleet view of failures end to end (${process.env['DATABASE_URL'] ? 'DATABASE_URL' : 'embedded PostgreSQL'})`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-e2e-fleet-'));
  let serverDatabase: TestDatabase | undefined;
  let runtime: Runtime;
  let apps: NestExpressApplication[] = [];
  let worker: INestApplicationContext;
  let probes: WorkerProbes;
  let hooks: Server;
  const received: Received[] = [];
  const urls = { rendezvous: '', voucherService: '', ownerOnboarding: '', hooks: '', worker: '' };

  beforeAll(async () => {
    const [rv, vs, oo] = [await freePort(), await freePort(), await freePort()];
    urls.rendezvous = `http://127.0.0.1:${rv}`;
    urls.voucherService = `http://127.0.0.1:${vs}`;
    urls.ownerOnboarding = `http://127.0.0.1:${oo}`;
    hooks = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received);
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    urls.hooks = `http://127.0.0.1:${(hooks.address() as { port: number }).port}/hook`;
    const env: NodeJS.ProcessEnv = {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      DEMO_SEED: 'off',
      RENDEZVOUS_DEFAULT_POLICY: 'open',
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
    probes = await startWorkerProbes(worker, runtime.queueBackend, { port: 0, host: '127.0.0.1' });
    urls.worker = `http://127.0.0.1:${(probes.server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await probes?.close();
    await worker?.close();
    await Promise.all(apps.map((app) => app.close()));
    apps = [];
    await runtime?.close();
    await serverDatabase?.drop();
    await new Promise((resolve) => hooks?.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

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

  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** A manufacturer whose rule hands every device to a new owner; the owner's admin key. */
  async function setUp(name: string, withOnboardingAddress: boolean) {
    const app = apps[1]!;
    const actor = 'system:e2e';
    const tenants = app.get(TenantService);
    const manufacturer = await tenants.create(
      {
        kind: 'manufacturer',
        name: `Maker ${name}`,
        slug: `maker-${name}`,
        settings: {
          rendezvous: [{ ip: '127.0.0.1', port: Number(new URL(urls.rendezvous).port), protocol: 'http' }],
        },
      },
      actor,
    );
    const owner = await tenants.create(
      {
        kind: 'owner',
        name: `Owner ${name}`,
        slug: `owner-${name}`,
        settings: {
          autoAcceptTransfersFrom: [manufacturer.id],
          ...(withOnboardingAddress
            ? {
                ownerOnboarding: [
                  { ip: '127.0.0.1', port: Number(new URL(urls.ownerOnboarding).port), protocol: 'http' },
                ],
              }
            : {}),
        },
      },
      actor,
    );
    await app
      .get(InitializeManufacturerPki)
      .execute({ tenantId: manufacturer.id, actor, voucherKeySpec: 'P-256' });
    const station = await app
      .get(CreateStation)
      .execute({ tenantId: manufacturer.id, actor, name: `station-${name}`, apiKey: true });
    await app.get(OwnerKeyService).create(owner.id, { name: `key-${name}`, spec: 'P-256' }, actor);
    await app
      .get(AssignmentRuleService)
      .create(
        manufacturer.id,
        { name: `all to ${owner.slug}`, targetTenant: owner.id, priority: 100, enabled: true },
        actor,
      );
    const admin = await app
      .get(ApiKeyService)
      .create({ tenantId: owner.id, name: 'admin', roles: ['tenant:admin'], createdBy: actor });
    await api(admin.key, 'POST', '/v1/webhooks', {
      url: urls.hooks,
      eventTypes: ['device.onboarding_failed', 'device.onboarded'],
    });
    const makerAdmin = await app
      .get(ApiKeyService)
      .create({ tenantId: manufacturer.id, name: 'admin', roles: ['tenant:admin'], createdBy: actor });
    await api(makerAdmin.key, 'POST', '/v1/webhooks', { url: urls.hooks, eventTypes: ['device.di_failed'] });
    return { ownerId: owner.id, ownerKey: admin.key, stationKey: station.apiKey! };
  }

  async function manufacture(stationKey: string, serialNumber = `SN-${randomBytes(4).toString('hex')}`) {
    const folder = mkdtempSync(join(dataDir, 'device-'));
    const credentialFile = join(folder, 'credential.json');
    const credential = await runDeviceInitialize({
      session: new FdoHttpSession({ baseUrl: urls.voucherService, headers: { 'x-station-key': stationKey } }),
      serialNumber,
      deviceInfo: 'e2e-fleet',
      privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      kexSuite: KexSuite.ECDH256,
      cipherSuite: 'A128GCM',
    });
    writeDeviceCredentialFile(credentialFile, credential);
    return { folder, credentialFile, guid: credential.guid, serialNumber: credential.serialNumber };
  }

  it('a device failing TO2 and one failing TO1 show in the device list, their events, webhooks and metrics', async () => {
    // Device A: its owner's plan runs a command the device does not have -> TO2 fails (error 500).
    const a = await setUp('a', true);
    await api(a.ownerKey, 'POST', '/v1/onboarding/plans', {
      name: 'broken',
      selector: { kind: 'device-info', pattern: '*' },
      content: { commands: [{ command: './missing.sh' }] },
    });
    const deviceA = await manufacture(a.stationKey);
    await until('TO0 of device A', async () => {
      const page = await api(a.ownerKey, 'GET', `/v1/devices/${deviceA.guid}`).catch(() => undefined);
      const to0 = (page?.['to0'] ?? []) as { status: string }[];
      return to0.some((state) => state.status === 'registered') ? true : undefined;
    });
    await expect(
      runOnboardCommand(
        { credential: deviceA.credentialFile, folder: deviceA.folder, json: true },
        { io: silentIo },
      ),
    ).rejects.toThrow();

    // Device B: its owner has no onboarding address, so no TO0 -> TO1 finds nothing (error 6).
    const b = await setUp('b', false);
    const deviceB = await manufacture(b.stationKey);
    await until('owner B to hold device B', () =>
      api(b.ownerKey, 'GET', `/v1/devices/${deviceB.guid}`).catch(() => undefined),
    );
    await expect(
      runOnboardCommand(
        { credential: deviceB.credentialFile, folder: deviceB.folder, json: true },
        { io: silentIo },
      ),
    ).rejects.toThrow(/TO1 failed/);

    // The device list, filtered to failures, with code and reason.
    type DeviceItem = {
      id: string;
      guid: string;
      lastResult: string;
      lastEvent: { type: string; errorCode: number; reason: string; messageType: number };
    };
    const failedA = await until('device A listed as failed', async () => {
      const page = await api(a.ownerKey, 'GET', '/v1/devices?result=failed');
      return (page['items'] as DeviceItem[])[0];
    });
    expect(failedA).toMatchObject({
      guid: deviceA.guid,
      lastResult: 'failed',
      lastEvent: { type: 'to2.failed', errorCode: 500 },
    });
    expect(failedA.lastEvent.reason).toMatch(/configuration delivery failed/);
    const failedB = await until('device B listed as failed', async () => {
      const page = await api(b.ownerKey, 'GET', '/v1/devices?result=failed&errorCode=6');
      return (page['items'] as DeviceItem[])[0];
    });
    expect(failedB).toMatchObject({
      guid: deviceB.guid,
      lastResult: 'failed',
      lastEvent: { type: 'to1.failed', errorCode: 6, messageType: 30 },
    });
    expect(failedB.lastEvent.reason).toMatch(/no rendezvous registration/);
    expect((await api(a.ownerKey, 'GET', '/v1/devices?result=succeeded'))['items']).toEqual([]);
    expect((await api(b.ownerKey, 'GET', `/v1/devices?q=${deviceB.serialNumber}`))['items']).toHaveLength(1);

    // Each device's history, in order: DI and the transfer to the owner, TO0, then the failure.
    type EventItem = { type: string; result: string | null; errorCode: number | null; reason: string | null };
    const eventsA = (await api(a.ownerKey, 'GET', `/v1/devices/${failedA.id}/events`))[
      'items'
    ] as EventItem[];
    const typesA = eventsA.map((event) => event.type);
    expect(typesA).toEqual(expect.arrayContaining(['voucher.received', 'to0.registered', 'to2.failed']));
    expect(typesA.indexOf('to2.failed')).toBeGreaterThan(typesA.indexOf('voucher.received'));
    expect(eventsA.at(-1)).toMatchObject({ type: 'to2.failed', result: 'failed', errorCode: 500 });
    const eventsB = (await api(b.ownerKey, 'GET', `/v1/devices/${deviceB.guid}/events`))[
      'items'
    ] as EventItem[];
    expect(eventsB.find((event) => event.type === 'to1.failed')).toMatchObject({
      result: 'failed',
      errorCode: 6,
    });

    // Webhooks: one device.onboarding_failed per device.
    const failures = await until('both failure webhooks', async () => {
      const hooked = received.filter((event) => event.type === 'device.onboarding_failed');
      return hooked.length >= 2 ? hooked : undefined;
    });
    expect(failures.map((event) => event.data['guid']).sort()).toEqual([deviceA.guid, deviceB.guid].sort());
    expect(failures.find((event) => event.data['guid'] === deviceA.guid)?.data).toMatchObject({
      event: 'to2.failed',
      errorCode: 500,
    });

    // A device retrying the same failure counts on its event: no new row, no new webhook.
    await expect(
      runOnboardCommand(
        { credential: deviceB.credentialFile, folder: deviceB.folder, json: true },
        { io: silentIo },
      ),
    ).rejects.toThrow(/TO1 failed/);
    const retried = await until('the repeat to be counted', async () => {
      const page = await api(b.ownerKey, 'GET', `/v1/devices/${deviceB.guid}/events`);
      const event = (page['items'] as (EventItem & { repeats: number })[]).find(
        (e) => e.type === 'to1.failed',
      );
      return event && event.repeats >= 2 ? event : undefined;
    });
    expect(retried.repeats).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received.filter((event) => event.type === 'device.onboarding_failed')).toHaveLength(2);

    // DI refused (a serial number that went through DI already): the manufacturer's webhook.
    await expect(manufacture(a.stationKey, deviceA.serialNumber)).rejects.toThrow();
    const diFailed = await until('device.di_failed', async () =>
      received.find((event) => event.type === 'device.di_failed'),
    );
    expect(diFailed.data).toMatchObject({ serialNumber: deviceA.serialNumber, event: 'di.failed' });

    // Metrics: FDO error codes per message type, onboardings and DI by result, TO1 not found...
    const scrape = async (url: string) => (await fetch(`${url}/metrics`)).text();
    const ownerMetrics = await scrape(urls.ownerOnboarding);
    expect(ownerMetrics).toMatch(
      /fdo_messages_total\{message_type="\d+",fdo_error="500",app="owner-onboarding"\} 1/,
    );
    expect(ownerMetrics).toContain(
      'ztp_onboardings_total{protocol="fdo",result="failed",app="owner-onboarding"} 1',
    );
    const rvMetrics = await scrape(urls.rendezvous);
    expect(rvMetrics).toMatch(/fdo_messages_total\{message_type="30",fdo_error="6",app="rendezvous"\} 2/);
    expect(rvMetrics).toContain('ztp_to1_not_found_total{app="rendezvous"} 2');
    const vsMetrics = await scrape(urls.voucherService);
    expect(vsMetrics).toContain(
      'ztp_device_initializations_total{result="succeeded",app="voucher-service"} 2',
    );
    expect(vsMetrics).toContain('ztp_device_initializations_total{result="failed",app="voucher-service"} 1');
    // ...and the worker's: TO0, queues, webhook deliveries, device events (repeats counted).
    const workerMetrics = await scrape(urls.worker);
    expect(workerMetrics).toContain('ztp_to0_registrations{status="registered",app="worker"} 1');
    expect(workerMetrics).toMatch(/ztp_to0_lag_seconds\{app="worker"\} \d/);
    expect(workerMetrics).toMatch(/ztp_queue_jobs\{queue="to0.register",state="waiting",app="worker"\} \d+/);
    expect(workerMetrics).toMatch(/ztp_queue_job_failures_total\{queue="webhook.deliver",app="worker"\} \d+/);
    expect(workerMetrics).toMatch(/ztp_webhook_deliveries\{status="delivered",app="worker"\} [3-9]/);
    expect(workerMetrics).toContain(
      'ztp_device_events{protocol="fdo",event_type="to1.failed",result="failed",app="worker"} 2',
    );
    expect(workerMetrics).toContain(
      'ztp_device_events{protocol="fdo",event_type="to2.failed",result="failed",app="worker"} 1',
    );
    expect(workerMetrics).toContain('ztp_queue_workers_running{app="worker"} 1');
    expect(workerMetrics).toContain('ztp_certificates_issued{kind="sztp-ldevid",app="worker"} 0');
    // Key custody: the owner's TO2 signatures, the worker's TO0 signatures, DI's certificate signing.
    expect(ownerMetrics).toMatch(
      /ztp_key_custody_operations_total\{operation="sign",result="ok",app="owner-onboarding"\} [1-9]/,
    );
    expect(workerMetrics).toMatch(
      /ztp_key_custody_operations_total\{operation="sign",result="ok",app="worker"\} [1-9]/,
    );
    expect((await fetch(`${urls.worker}/health`)).status).toBe(200);
    const ready = await fetch(`${urls.worker}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      details: { database: { status: 'up' }, queue: { status: 'up' }, workers: { status: 'up' } },
    });
  }, 120_000);
});
