import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '@ztp/config';
import {
  createTestDatabase,
  DeviceEntity,
  OwnerKeyEntity,
  readTo0Status,
  TenantEntity,
  To0StateEntity,
  VoucherEntity,
  WebhookDeliveryEntity,
  WebhookEndpointEntity,
  type TestDatabase,
} from '@ztp/persistence';
import { type KeyCustody } from '@ztp/pki';
import {
  createRootLogger,
  createWorkerContext,
  KEY_CUSTODY,
  NestLoggerAdapter,
  startRuntime,
  type Runtime,
} from '@ztp/platform';
import {
  buildRendezvousInfo,
  computeFdoHash,
  computeFdoHmac,
  createSoftwareSigner,
  createVoucher,
  decodeSign1,
  decodeTo0d,
  decodeTo0OwnerSign,
  decodeTo1dPayload,
  encodeErrorMessage,
  encodeOvHeader,
  encodePublicKey,
  encodeTo0AcceptOwner,
  encodeTo0HelloAck,
  extendVoucher,
  guidToHex,
  HashAlg,
  newErrorMessage,
  newGuid,
  parseVoucher,
  readVoucher,
  rendezvousInfoToCbor,
  verifySign1,
  voucherOwnerKey,
  type RvTo2Addr,
} from '@ztp/protocol';
import { fixtureText } from '@ztp/protocol/fdo/voucher/fixtures.testing';
import {
  JobQueues,
  QueueWorkersModule,
  RENDEZVOUS_SWEEP,
  requestTo0Registration,
  TO0_SCAN,
} from '@ztp/queue';
import { NO_RENDEZVOUS_URL } from './to0-registrar';
import { RendezvousSweepProcessor, To0RegisterProcessor, To0ScanProcessor } from './to0.processors';
import { To0TargetsRepository } from './to0-targets.repository';
import { To0WorkerModule } from './to0-worker.module';

/**
 * A rendezvous server stand-in speaking TO0 over HTTP: it checks what the owner sends (the nonce,
 * the to1d signature by the voucher's owner key, the to0d hash) and records each registration, or
 * refuses with an FDO error when told to.
 */
class FakeRendezvous {
  readonly registrations: { guid: string; addresses: RvTo2Addr[]; waitSeconds: number }[] = [];
  refuseWith: number | undefined;
  private readonly nonces = new Map<string, Uint8Array>();
  private readonly server: Server;
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const [type, body, token] = this.answer(req.url!, Buffer.concat(chunks), req.headers.authorization);
        res.writeHead(200, {
          'content-type': 'application/cbor',
          'message-type': String(type),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        });
        res.end(body);
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private answer(url: string, body: Uint8Array, authorization?: string): [number, Uint8Array, string?] {
    if (url.endsWith('/msg/20')) {
      const token = randomBytes(8).toString('hex');
      const nonce = new Uint8Array(randomBytes(16));
      this.nonces.set(token, nonce);
      return [21, encodeTo0HelloAck({ nonceTo0Sign: nonce }), token];
    }
    if (this.refuseWith !== undefined)
      return [255, encodeErrorMessage(newErrorMessage(this.refuseWith as 2, 22, 'refused by test'))];
    const message = decodeTo0OwnerSign(body);
    const to0d = decodeTo0d(message.to0d.bytes);
    const nonce = this.nonces.get(authorization?.slice('Bearer '.length) ?? '');
    if (!nonce || Buffer.compare(nonce, to0d.nonceTo0Sign) !== 0) throw new Error('bad nonce');
    const voucher = parseVoucher(to0d.ownershipVoucher.bytes);
    const to1d = decodeSign1(message.to1d.bytes);
    if (!verifySign1(to1d, voucherOwnerKey(voucher).key)) throw new Error('to1d not signed by the owner');
    const payload = decodeTo1dPayload(to1d.payload!);
    const expectedHash = computeFdoHash(HashAlg.SHA256, message.to0d.bytes);
    if (Buffer.compare(payload.to0dHash.bytes.subarray(-32), expectedHash.value) !== 0)
      throw new Error('bad hash');
    const waitSeconds = Math.min(to0d.waitSeconds, 600);
    this.registrations.push({
      guid: guidToHex(voucher.header.guid),
      addresses: payload.rvTo2Addrs,
      waitSeconds,
    });
    return [23, encodeTo0AcceptOwner({ waitSeconds })];
  }
}

const rv = new FakeRendezvous();
const dataDir = mkdtempSync(join(tmpdir(), 'ztp-to0-'));
let database: TestDatabase | undefined;
let runtime: Runtime;
let context: INestApplicationContext;
let dataSource: DataSource;
let custody: KeyCustody;
const manufacturer = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const deviceChain = readVoucher(fixtureText('fdo/go-fdo/ov.pem')).deviceCertChain!;
const OWNER_ONBOARDING = [{ dns: 'owner.example.com', port: 8042, protocol: 'https' as const }];

beforeAll(async () => {
  await rv.start();
  const env: NodeJS.ProcessEnv = {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    REDIS_URL: process.env['REDIS_URL'],
    QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
    TO0_SCAN_INTERVAL_SECONDS: '3600',
    TO0_RETRY_BASE_SECONDS: '30',
    TO0_RETRY_MAX_SECONDS: '600',
  };
  if (process.env['DATABASE_URL']) {
    database = await createTestDatabase({ migrate: false });
    Object.assign(env, {
      DATABASE_URL: database.url,
      KEY_CUSTODY_MASTER_KEY: randomBytes(32).toString('base64'),
    });
  }
  const config = loadConfig(env);
  const logger = createRootLogger(config, 'to0-test');
  runtime = await startRuntime(config, logger, { migrate: true });
  context = await createWorkerContext(
    runtime,
    QueueWorkersModule.forProcessors(
      [To0RegisterProcessor, To0ScanProcessor, RendezvousSweepProcessor],
      [To0WorkerModule],
    ),
    new NestLoggerAdapter(logger),
  );
  dataSource = context.get(DataSource);
  custody = context.get(KEY_CUSTODY);
});

afterAll(async () => {
  await context?.close();
  await runtime?.close();
  await database?.drop();
  await rv.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  rv.refuseWith = undefined;
  rv.registrations.length = 0;
});

interface Owned {
  tenant: TenantEntity;
  device: DeviceEntity;
  voucher: VoucherEntity;
}

/** An owner tenant with a key in custody, and a device whose voucher it holds (RV = the fake). */
async function ownedDevice(options: { withKey?: boolean; rendezvous?: string[] } = {}): Promise<Owned> {
  const slug = `owner-${randomBytes(4).toString('hex')}`;
  const tenant = await dataSource
    .getRepository(TenantEntity)
    .save({ kind: 'owner', name: slug, slug, settings: { ownerOnboarding: OWNER_ONBOARDING } });
  const keyId = `owner-${slug}`;
  const key = await custody.generateKey({ keyId, spec: 'P-256', purpose: `owner:${tenant.id}` });
  const sha256 = createHash('sha256').update(key.publicKeySpki).digest('hex');
  if (options.withKey !== false)
    await dataSource.getRepository(OwnerKeyEntity).save({
      tenantId: tenant.id,
      name: 'default',
      spec: 'P-256',
      custodyKeyId: keyId,
      publicKeySpki: Buffer.from(key.publicKeySpki),
      publicKeySha256: sha256,
    });
  const guid = newGuid();
  const rendezvousInfo = (options.rendezvous ?? [rv.url]).map((url) => {
    const { hostname, port, protocol } = new URL(url);
    return { ip: hostname, port: Number(port), protocol: protocol.slice(0, -1) as 'http' | 'https' };
  });
  const header = encodeOvHeader({
    guid,
    rendezvousInfo: rendezvousInfoToCbor(buildRendezvousInfo(rendezvousInfo)),
    deviceInfo: 'to0 test device',
    manufacturerKey: encodePublicKey(manufacturer),
    certChainHash: computeFdoHash(HashAlg.SHA256, deviceChain),
  });
  const made = createVoucher({
    header,
    headerHmac: computeFdoHmac(HashAlg.HMAC_SHA256, randomBytes(32), header.bytes),
    deviceCertChain: deviceChain,
  });
  const extended = await extendVoucher(made, createSoftwareSigner(manufacturer), key.publicKey);
  const device = await dataSource.getRepository(DeviceEntity).save({
    guid: guidToHex(guid),
    originalGuid: guidToHex(guid),
    deviceInfo: 'to0 test device',
    serialNumber: null,
    manufacturerTenantId: null,
    lifecycle: 'owned',
  });
  const voucher = await dataSource.getRepository(VoucherEntity).save({
    deviceId: device.id,
    guid: device.guid,
    cbor: Buffer.from(extended.bytes),
    numEntries: 1,
    ownerKeySha256: sha256,
    holderTenantId: tenant.id,
    status: 'active',
    replacesVoucherId: null,
    deletedAt: null,
  });
  return { tenant, device, voucher };
}

async function states(voucherId: string): Promise<To0StateEntity[]> {
  return dataSource.getRepository(To0StateEntity).find({ where: { voucherId }, order: { rvUrl: 'ASC' } });
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const registrar = () => context.get(To0RegisterProcessor);
const register = (voucherId: string, force = false) =>
  registrar().process({ data: { voucherId, force } } as Parameters<To0RegisterProcessor['process']>[0]);

describe('automatic TO0', () => {
  it('schedules the scan and the sweep in the queue backend', async () => {
    const queues = context.get(JobQueues);
    const scans = await queues.get(TO0_SCAN).getJobSchedulers();
    expect(scans.map((s) => ({ key: s.key, every: s.every }))).toEqual([
      { key: 'to0-scan', every: 3_600_000 },
    ]);
    const sweeps = await queues.get(RENDEZVOUS_SWEEP).getJobSchedulers();
    expect(sweeps.map((s) => s.key)).toEqual(['rendezvous-sweep']);
  });

  it('scan -> queued job -> registered at the rendezvous with the owner address, renewal at 80 %', async () => {
    const { voucher, device, tenant } = await ownedDevice();
    await dataSource.getRepository(WebhookEndpointEntity).save({
      tenantId: tenant.id,
      url: 'https://hooks.example.com/x',
      description: null,
      eventTypes: ['to0.registered'],
      secretSealed: Buffer.alloc(32),
      enabled: true,
      createdBy: 'test',
    });
    const scanned = await context.get(To0ScanProcessor).process();
    expect(scanned.queued).toBeGreaterThanOrEqual(1);
    const [state] = await until(async () => {
      const found = await states(voucher.id);
      return found[0]?.status === 'registered' ? found : undefined;
    });
    expect(rv.registrations).toEqual([
      {
        guid: device.guid,
        addresses: [{ ip: null, dns: 'owner.example.com', port: 8042, protocol: 'https' }],
        waitSeconds: 600,
      },
    ]);
    expect(state).toMatchObject({ rvUrl: rv.url, directiveIndex: 0, attempts: 0, grantedWaitSeconds: 600 });
    const renewIn = state!.nextAttemptAt!.getTime() - state!.lastSuccessAt!.getTime();
    expect(renewIn).toBe(480_000);
    expect(state!.registeredUntil!.getTime() - state!.lastSuccessAt!.getTime()).toBe(600_000);

    const status = await readTo0Status(dataSource.manager, { deviceId: device.id });
    expect(status).toMatchObject({ state: 'registered', registeredUntil: state!.registeredUntil });
    const deliveries = await dataSource.getRepository(WebhookDeliveryEntity).findBy({ tenantId: tenant.id });
    expect(deliveries.map((d) => d.eventType)).toEqual(['to0.registered']);

    // Nothing is due any more: neither the scan nor a plain run registers again.
    expect(await context.get(To0ScanProcessor).process()).toMatchObject({ queued: 0 });
    expect(await register(voucher.id)).toEqual({ outcome: 'idle', attempted: 0, registered: 0 });
    expect(rv.registrations).toHaveLength(1);
  });

  it('retries with exponential backoff, records the FDO error code, and recovers', async () => {
    const { voucher } = await ownedDevice();
    rv.refuseWith = 2;
    expect(await register(voucher.id)).toMatchObject({ outcome: 'failed', attempted: 1 });
    let [state] = await states(voucher.id);
    expect(state).toMatchObject({ status: 'failed', attempts: 1, lastErrorCode: 2 });
    expect(state!.lastError).toMatch(/refused by test/);
    const first = state!.nextAttemptAt!.getTime() - state!.lastAttemptAt!.getTime();
    expect(first).toBeGreaterThanOrEqual(24_000);
    expect(first).toBeLessThanOrEqual(36_000);

    expect(await register(voucher.id)).toMatchObject({ outcome: 'idle' });
    expect(await register(voucher.id, true)).toMatchObject({ outcome: 'failed' });
    [state] = await states(voucher.id);
    const second = state!.nextAttemptAt!.getTime() - state!.lastAttemptAt!.getTime();
    expect(state!.attempts).toBe(2);
    expect(second).toBeGreaterThanOrEqual(48_000);
    expect(second).toBeLessThanOrEqual(72_000);
    expect((await readTo0Status(dataSource.manager, { voucherId: voucher.id })).state).toBe('failing');

    rv.refuseWith = undefined;
    expect(await register(voucher.id, true)).toMatchObject({ outcome: 'registered' });
    [state] = await states(voucher.id);
    expect(state).toMatchObject({ status: 'registered', attempts: 0, lastError: null, lastErrorCode: null });
  });

  it('registers again at once when the owner changes its onboarding address', async () => {
    const { voucher, tenant } = await ownedDevice();
    await register(voucher.id);
    await dataSource.getRepository(TenantEntity).update(tenant.id, {
      settings: { ownerOnboarding: [{ ip: '192.0.2.10', port: 9000, protocol: 'http' }] },
    });
    expect(await context.get(To0TargetsRepository).findDue(new Date(), 10_000)).toContain(voucher.id);
    await register(voucher.id);
    expect(rv.registrations.at(-1)!.addresses).toEqual([
      { ip: Uint8Array.of(192, 0, 2, 10), dns: null, port: 9000, protocol: 'http' },
    ]);
  });

  it('stops once the device has onboarded, and when the voucher leaves the owner', async () => {
    const onboarded = await ownedDevice();
    const transferred = await ownedDevice();
    await register(onboarded.voucher.id);
    await register(transferred.voucher.id);
    await dataSource.getRepository(DeviceEntity).update(onboarded.device.id, { lifecycle: 'onboarded' });
    await dataSource
      .getRepository(VoucherEntity)
      .update(transferred.voucher.id, { status: 'transferred-out' });
    const scan = await context.get(To0ScanProcessor).process();
    expect(scan.stopped).toBeGreaterThanOrEqual(2);
    expect((await states(onboarded.voucher.id))[0]).toMatchObject({ status: 'stopped', nextAttemptAt: null });
    expect((await readTo0Status(dataSource.manager, { deviceId: transferred.device.id })).state).toBe(
      'stopped',
    );
    expect(await register(onboarded.voucher.id, true)).toMatchObject({ outcome: 'stopped' });
    expect(rv.registrations).toHaveLength(2);
  });

  it("re-onboarding same-owner: an onboarded device's active voucher stays registered; never stops it", async () => {
    const kept = await ownedDevice();
    const stopped = await ownedDevice();
    await dataSource.getRepository(TenantEntity).update(kept.tenant.id, {
      settings: { ...kept.tenant.settings, reonboarding: 'same-owner' },
    });
    await register(kept.voucher.id);
    await register(stopped.voucher.id);
    for (const { device } of [kept, stopped])
      await dataSource.getRepository(DeviceEntity).update(device.id, { lifecycle: 'onboarded' });
    await context.get(To0ScanProcessor).process();
    expect((await states(stopped.voucher.id))[0]).toMatchObject({ status: 'stopped' });
    expect((await states(kept.voucher.id))[0]!.status).not.toBe('stopped');
    const before = rv.registrations.length;
    expect(await register(kept.voucher.id, true)).toMatchObject({ outcome: 'registered' });
    expect(rv.registrations).toHaveLength(before + 1);
    expect(await register(stopped.voucher.id, true)).toMatchObject({ outcome: 'stopped' });
  });

  it('re-onboarding on-request: an onboarded device is registered only once armed; device and group overrides win over the owner', async () => {
    const onRequest = await ownedDevice();
    const deviceNever = await ownedDevice();
    const groupSameOwner = await ownedDevice();
    const groupsDisagree = await ownedDevice();
    const tenants = dataSource.getRepository(TenantEntity);
    const devices = dataSource.getRepository(DeviceEntity);
    await tenants.update(onRequest.tenant.id, {
      settings: { ...onRequest.tenant.settings, reonboarding: 'on-request' },
    });
    await tenants.update(deviceNever.tenant.id, {
      settings: { ...deviceNever.tenant.settings, reonboarding: 'same-owner' },
    });
    await devices.update(deviceNever.device.id, { reonboarding: 'never' });
    const group = (tenantId: string, name: string, reonboarding: string, member: string) =>
      dataSource.query(
        `INSERT INTO device_group (owner_tenant_id, name, members, reonboarding) VALUES ($1, $2, $3, $4)`,
        [tenantId, name, [member], reonboarding],
      );
    await group(groupSameOwner.tenant.id, 'fleet', 'same-owner', `guid:${groupSameOwner.device.guid}`);
    await group(groupsDisagree.tenant.id, 'lab', 'same-owner', `guid:${groupsDisagree.device.guid}`);
    await group(groupsDisagree.tenant.id, 'locked', 'never', `guid:${groupsDisagree.device.guid}`);
    const all = [onRequest, deviceNever, groupSameOwner, groupsDisagree];
    for (const { voucher } of all) await register(voucher.id);
    for (const { device } of all) await devices.update(device.id, { lifecycle: 'onboarded' });
    await context.get(To0ScanProcessor).process();
    const status = async (owned: Owned) => (await states(owned.voucher.id))[0]!.status;
    expect(await status(onRequest)).toBe('stopped');
    expect(await status(deviceNever)).toBe('stopped');
    expect(await status(groupSameOwner)).not.toBe('stopped');
    expect(await status(groupsDisagree)).toBe('stopped');
    expect((await states(onRequest.voucher.id))[0]!.lastError).toBe(
      'stopped: the device onboarded and its re-onboarding policy is on-request (not armed)',
    );
    expect((await states(deviceNever.voucher.id))[0]!.lastError).toMatch(/policy is never$/);
    expect(await register(onRequest.voucher.id, true)).toMatchObject({ outcome: 'stopped' });

    // Armed: the next scan finds it due again and registers it.
    await devices.update(onRequest.device.id, { reonboardRequestedAt: new Date() });
    expect(await dataSource.getRepository(To0StateEntity).countBy({ voucherId: onRequest.voucher.id })).toBe(
      1,
    );
    const due = await context.get(To0TargetsRepository).findDue(new Date(), 1000);
    expect(due).toContain(onRequest.voucher.id);
    expect(due).not.toContain(deviceNever.voucher.id);
    rv.registrations.length = 0;
    expect(await register(onRequest.voucher.id)).toMatchObject({ outcome: 'registered' });
    expect(rv.registrations.map((r) => r.guid)).toEqual([onRequest.device.guid]);
  });

  it('a stopped state says why: a holder with no onboarding address', async () => {
    const owned = await ownedDevice();
    await register(owned.voucher.id);
    await dataSource.getRepository(TenantEntity).update(owned.tenant.id, { settings: {} });
    await context.get(To0ScanProcessor).process();
    expect((await states(owned.voucher.id))[0]).toMatchObject({
      status: 'stopped',
      lastError: 'stopped: the holder has no onboarding address to register (set settings.ownerOnboarding)',
    });
  });

  it('records why it cannot register: no owner key in custody, no rendezvous directive for the owner', async () => {
    const keyless = await ownedDevice({ withKey: false });
    expect(await register(keyless.voucher.id)).toMatchObject({ outcome: 'failed' });
    expect((await states(keyless.voucher.id))[0]!.lastError).toMatch(/no owner key in custody/);

    const none = await ownedDevice({ rendezvous: [] });
    expect(await register(none.voucher.id)).toMatchObject({ outcome: 'idle' });
    expect(await states(none.voucher.id)).toMatchObject([
      { rvUrl: NO_RENDEZVOUS_URL, status: 'unsupported' },
    ]);
    expect(rv.registrations).toHaveLength(0);
  });

  it('requestTo0Registration registers at once, through the queue', async () => {
    const { voucher } = await ownedDevice();
    await requestTo0Registration(context.get(JobQueues), voucher.id);
    await until(async () => ((await states(voucher.id))[0]?.status === 'registered' ? true : undefined));
    expect(rv.registrations).toHaveLength(1);
  });

  it('the sweep deletes expired rendezvous registrations only', async () => {
    const insert = (guid: string, expiresAt: Date) =>
      dataSource.query(
        `INSERT INTO rv_registration (guid, voucher, to1d, num_entries, owner_key_sha256,
           manufacturer_key_sha256, device_key_spki, to2_addresses, requested_wait_seconds,
           granted_wait_seconds, registered_at, expires_at, source_address)
         VALUES ($1, '\\x00', '\\x00', 1, 'o', 'm', '\\x00', '[]', 60, 60, now(), $2, '127.0.0.1')`,
        [guid, expiresAt],
      );
    const expired = guidToHex(newGuid());
    const current = guidToHex(newGuid());
    await insert(expired, new Date(Date.now() - 1000));
    await insert(current, new Date(Date.now() + 60_000));
    expect(await context.get(RendezvousSweepProcessor).process()).toEqual({ deleted: 1 });
    const left: { guid: string }[] = await dataSource.query(
      `SELECT guid FROM rv_registration WHERE guid IN ($1, $2)`,
      [expired, current],
    );
    expect(left).toEqual([{ guid: current }]);
  });
});
