import { createHash, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FdoErrorReply,
  FdoHttpSession,
  type ModuleEvent,
  OPERATIONAL_FILES,
  runTo2,
  standardDeviceModules,
} from '@ztp/fdo-client';
import {
  AuditEventEntity,
  AuditLog,
  BundleRenderer,
  ConfigBundleEntity,
  ConfigFileEntity,
  ConfigPlanEntity,
  type ConfigPlanContent,
  DeviceEntity,
  DeviceUploadEntity,
  IssuedCertificateEntity,
  OwnerCaEntity,
  OwnerCaStore,
  VoucherEntity,
} from '@ztp/persistence';
import { ErrorCode, MessageType } from '@ztp/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOwner,
  provisionDevice,
  type TestDevice,
  type TestOwner,
} from '../testing/onboarding-fixtures';
import { ManualDevice } from '../testing/manual-device';
import {
  type OwnerOnboardingHarness,
  startOwnerOnboardingHarness,
} from '../testing/owner-onboarding-harness';

let harness: OwnerOnboardingHarness;
let owner: TestOwner;
let wgetServer: Server;
let wgetUrl: string;
const folders: string[] = [];
const WGET_CONTENT = Buffer.from('fetched over http by the device\n');

beforeAll(async () => {
  harness = await startOwnerOnboardingHarness();
  owner = await createOwner(harness.dataSource, harness.custody);
  wgetServer = createServer((req, res) => {
    if (req.url === '/firmware.bin') res.end(WGET_CONTENT);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => wgetServer.listen(0, '127.0.0.1', resolve));
  wgetUrl = `http://127.0.0.1:${(wgetServer.address() as { port: number }).port}/firmware.bin`;
});

afterAll(async () => {
  await new Promise((resolve) => wgetServer?.close(resolve));
  await harness?.stop();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function deviceFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'ztp-device-'));
  folders.push(folder);
  return folder;
}

async function file(name: string, content: Buffer): Promise<ConfigFileEntity> {
  return harness.dataSource.getRepository(ConfigFileEntity).save({
    ownerTenantId: owner.tenant.id,
    name,
    size: content.length,
    sha384: createHash('sha384').update(content).digest(),
    content,
  });
}

async function planFor(device: TestDevice, content: ConfigPlanContent): Promise<void> {
  await harness.dataSource.getRepository(ConfigPlanEntity).save({
    ownerTenantId: owner.tenant.id,
    name: `plan-${device.guidHex}`,
    selectorKind: 'device',
    deviceGuid: device.guidHex,
    deviceSerial: null,
    deviceInfoPattern: null,
    groupId: null,
    priority: 100,
    revision: 1,
    content,
  });
  await new BundleRenderer(harness.dataSource).renderTenant(owner.tenant.id);
}

const bundleOf = (device: TestDevice) =>
  harness.dataSource.getRepository(ConfigBundleEntity).findOneByOrFail({ deviceId: device.deviceId });

describe('TO2 ServiceInfo delivery', () => {
  it('delivers a plan: operational certificate, files, wget, command, upload; all recorded', async () => {
    const device = await provisionDevice(harness.dataSource, { owner });
    const folder = deviceFolder();
    writeFileSync(join(folder, 'inventory.json'), '{"ports": 4}');
    const script = await file(
      'setup',
      Buffer.from('#!/bin/sh\necho "configured $1" > configured.txt\necho done\n'),
    );
    const big = await file('big', Buffer.alloc(5000, 0x61));
    await planFor(device, {
      certificate: { validityDays: 30 },
      files: [
        { fileId: script.id, path: 'setup.sh' },
        { fileId: big.id, path: 'data/big.bin' },
      ],
      wget: [
        {
          url: wgetUrl,
          path: 'firmware.bin',
          sha384: createHash('sha384').update(WGET_CONTENT).digest('hex'),
        },
      ],
      commands: [{ command: './setup.sh', args: ['ok'] }],
      uploads: [{ path: 'inventory.json' }],
    });
    expect((await bundleOf(device)).deliveryStatus).toBe('queued');
    const events: ModuleEvent[] = [];
    const outcome = await runTo2({
      session: new FdoHttpSession({ baseUrl: harness.instance.url }),
      credential: device.credential,
      modules: standardDeviceModules({ folder, events: (event) => events.push(event) }),
      // A small ServiceInfo size: the 5000-byte file and the certificate travel in many messages.
      maxServiceInfoSize: 400,
    });

    expect(readFileSync(join(folder, 'data/big.bin'))).toEqual(Buffer.alloc(5000, 0x61));
    expect(readFileSync(join(folder, 'firmware.bin'))).toEqual(WGET_CONTENT);
    expect(readFileSync(join(folder, 'configured.txt'), 'utf8')).toBe('configured ok\n');
    const certificate = new X509Certificate(readFileSync(join(folder, OPERATIONAL_FILES.certificate)));
    const ca = await harness.dataSource
      .getRepository(OwnerCaEntity)
      .findOneByOrFail({ ownerTenantId: owner.tenant.id });
    const caCertificate = new X509Certificate(ca.certificate);
    expect(certificate.checkIssued(caCertificate) && certificate.verify(caCertificate.publicKey)).toBe(true);
    expect(certificate.subject).toContain(`CN=${outcome.credential.guid.slice(0, 8)}`);
    expect(existsSync(join(folder, OPERATIONAL_FILES.privateKey))).toBe(true);

    const bundle = await bundleOf(device);
    expect(bundle.deliveryStatus).toBe('delivered');
    expect(bundle.results?.map((r) => [r.module, r.ok])).toEqual([
      ['fdo.csr', true],
      ['fdo.download', true],
      ['fdo.download', true],
      ['fdo.wget', true],
      ['fdo.command', true],
      ['fdo.upload', true],
    ]);
    expect(bundle.results?.[4]?.detail).toContain('stdout: done');
    const upload = await harness.dataSource
      .getRepository(DeviceUploadEntity)
      .findOneByOrFail({ deviceId: device.deviceId });
    expect(upload.content.toString()).toBe('{"ports": 4}');
    expect(
      await harness.dataSource.getRepository(IssuedCertificateEntity).countBy({ deviceId: device.deviceId }),
    ).toBe(1);
    const eventTypes = (
      await harness.dataSource.getRepository(AuditEventEntity).findBy({ tenantId: owner.tenant.id })
    ).map((event) => event.eventType);
    expect(eventTypes).toEqual(expect.arrayContaining(['certificate.issued', 'device.onboarded']));
    expect(events.map((event) => event.kind)).toEqual(
      expect.arrayContaining(['certificate-stored', 'downloaded', 'fetched', 'command-exited', 'uploaded']),
    );
  });

  it('a failing step refuses TO2 (500, bundle failed, device keeps its credential); a fixed plan then succeeds', async () => {
    const device = await provisionDevice(harness.dataSource, { owner });
    const folder = deviceFolder();
    writeFileSync(join(folder, 'fail.sh'), '#!/bin/sh\necho broken >&2\nexit 3\n');
    chmodSync(join(folder, 'fail.sh'), 0o755);
    await planFor(device, { commands: [{ command: 'fail.sh' }] });
    const attempt = runTo2({
      session: new FdoHttpSession({ baseUrl: harness.instance.url }),
      credential: device.credential,
      modules: standardDeviceModules({ folder }),
    });
    await expect(attempt).rejects.toBeInstanceOf(FdoErrorReply);
    await expect(attempt).rejects.toMatchObject({ code: ErrorCode.InternalServerError });
    const failed = await bundleOf(device);
    expect(failed.deliveryStatus).toBe('failed');
    expect(failed.statusDetail).toMatch(/exit code 3.*stderr: broken/);
    expect(
      (await harness.dataSource.getRepository(VoucherEntity).findOneByOrFail({ id: device.voucherId }))
        .status,
    ).toBe('active');

    await harness.dataSource
      .getRepository(ConfigPlanEntity)
      .update(
        { deviceGuid: device.guidHex },
        { revision: 2, content: { commands: [{ command: 'fail.sh', mayFail: true }] } },
      );
    await new BundleRenderer(harness.dataSource).renderTenant(owner.tenant.id);
    await runTo2({
      session: new FdoHttpSession({ baseUrl: harness.instance.url }),
      credential: device.credential,
      modules: standardDeviceModules({ folder }),
    });
    expect((await bundleOf(device)).deliveryStatus).toBe('delivered');
  });

  it('refuses a device that lacks a module its plan needs', async () => {
    const device = await provisionDevice(harness.dataSource, { owner });
    await planFor(device, { uploads: [{ path: 'x' }] });
    await expect(
      runTo2({
        session: new FdoHttpSession({ baseUrl: harness.instance.url }),
        credential: device.credential,
      }),
    ).rejects.toMatchObject({
      code: ErrorCode.InternalServerError,
      message: expect.stringContaining('fdo.upload'),
    });
  });

  it('renders the bundle on the spot for a device that arrives before the render job', async () => {
    const device = await provisionDevice(harness.dataSource, { owner, deviceInfo: 'late-bird' });
    await harness.dataSource.getRepository(ConfigPlanEntity).save({
      ownerTenantId: owner.tenant.id,
      name: 'late-birds',
      selectorKind: 'device-info',
      deviceInfoPattern: 'late-*',
      deviceGuid: null,
      deviceSerial: null,
      groupId: null,
      priority: 100,
      revision: 1,
      content: { certificate: {} },
    });
    const folder = deviceFolder();
    await runTo2({
      session: new FdoHttpSession({ baseUrl: harness.instance.url }),
      credential: device.credential,
      modules: standardDeviceModules({ folder }),
    });
    expect(existsSync(join(folder, OPERATIONAL_FILES.certificate))).toBe(true);
  });

  it('issues certificate and key with serverkeygen where the owner CA allows it', async () => {
    await new OwnerCaStore(harness.dataSource, harness.custody).setServerKeygen(owner.tenant.id, true);
    const device = await provisionDevice(harness.dataSource, { owner });
    await planFor(device, { certificate: {} });
    const folder = deviceFolder();
    // A fresh replica: the CA settings another replica cached do not matter.
    const replica = await harness.startInstance();
    await runTo2({
      session: new FdoHttpSession({ baseUrl: replica.url }),
      credential: device.credential,
      modules: standardDeviceModules({ folder, csr: { serverKeygen: true } }),
    });
    const issued = await harness.dataSource
      .getRepository(IssuedCertificateEntity)
      .findOneByOrFail({ deviceId: device.deviceId });
    expect(issued.kind).toBe('serverkeygen');
    expect(existsSync(join(folder, OPERATIONAL_FILES.privateKey))).toBe(true);
    await replica.close();
  });
});

describe('TO2 across replicas and options', () => {
  it('completes when the instance that served 60-64 stops and another serves 66-71', async () => {
    const device = await provisionDevice(harness.dataSource, { owner });
    const first = await harness.startInstance();
    const second = await harness.startInstance();
    let target = first.url;
    const fetchVia = async (url: string, init: RequestInit) => {
      const path = new URL(url).pathname;
      if (path.endsWith(`/${MessageType.TO2DeviceServiceInfoReady}`) && target === first.url) {
        await first.close();
        target = second.url;
      }
      return fetch(`${target}${path}`, init);
    };
    const outcome = await runTo2({
      session: new FdoHttpSession({ baseUrl: first.url, fetch: fetchVia }),
      credential: device.credential,
    });
    expect(target).toBe(second.url);
    expect(
      (await harness.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: device.deviceId })).guid,
    ).toBe(outcome.credential.guid);
    await second.close();
  });

  it('completes when each replica also serves messages after another moved the session on', async () => {
    const first = await harness.startInstance();
    const second = await harness.startInstance();
    // Which replica serves each message; every replica's own memory of the session goes stale at
    // some point, so the read it spares must give way to the stored session.
    const routes: Record<number, string>[] = [
      { 60: first.url, 62: first.url, 64: first.url, 66: second.url, 68: first.url, 70: second.url },
      { 60: first.url, 62: second.url, 64: first.url, 66: first.url, 68: second.url, 70: first.url },
    ];
    for (const route of routes) {
      const device = await provisionDevice(harness.dataSource, { owner });
      const outcome = await runTo2({
        session: new FdoHttpSession({
          baseUrl: first.url,
          fetch: (url, init) => {
            const path = new URL(url).pathname;
            return fetch(`${route[Number(path.split('/').pop())]}${path}`, init);
          },
        }),
        credential: device.credential,
      });
      expect(
        await harness.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: device.deviceId }),
      ).toMatchObject({ guid: outcome.credential.guid, lifecycle: 'onboarded' });
    }
    await first.close();
    await second.close();
  });

  it('refuses a ProveDevice replayed to a replica that last saw the session before it, keeping no key for it', async () => {
    const first = await harness.startInstance();
    const second = await harness.startInstance();
    const provisioned = await provisionDevice(harness.dataSource, { owner });
    let target = first.url;
    const d = new ManualDevice(provisioned.credential, first.url, undefined, undefined, (url, init) =>
      fetch(`${target}${new URL(url).pathname}`, init),
    );
    const owner2Keys = async () =>
      (
        await harness.dataSource.query(`SELECT count(*)::int AS n FROM sealed_key WHERE purpose = $1`, [
          `owner2:${owner.tenant.id}`,
        ])
      )[0].n as number;
    await d.hello();
    target = second.url;
    await d.entry(0);
    target = first.url;
    const body = await d.proveBody();
    await d.prove(body);
    const keys = await owner2Keys();
    target = second.url;
    await expect(d.prove(body)).rejects.toMatchObject({ code: ErrorCode.MessageBodyError });
    expect(await owner2Keys()).toBe(keys);
    await d.ready();
    await first.close();
    await second.close();
  });

  it('credential reuse, where the owner enables it: the device keeps its credential and the voucher stays', async () => {
    const reuseOwner = await createOwner(harness.dataSource, harness.custody, {
      settings: { credentialReuse: true },
    });
    const device = await provisionDevice(harness.dataSource, { owner: reuseOwner });
    const outcome = await runTo2({
      session: new FdoHttpSession({ baseUrl: harness.instance.url }),
      credential: device.credential,
    });
    expect(outcome.credentialReused).toBe(true);
    expect(outcome.credential).toBe(device.credential);
    expect(
      (await harness.dataSource.getRepository(VoucherEntity).findOneByOrFail({ id: device.voucherId }))
        .status,
    ).toBe('active');
    expect(
      (await harness.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: device.deviceId }))
        .lifecycle,
    ).toBe('onboarded');
  });

  it('a device that declines offered credential reuse gets a replacement voucher under the same GUID', async () => {
    const reuseOwner = await createOwner(harness.dataSource, harness.custody, {
      settings: { credentialReuse: true },
    });
    const device = await provisionDevice(harness.dataSource, { owner: reuseOwner });
    const outcome = await runTo2({
      session: new FdoHttpSession({ baseUrl: harness.instance.url }),
      credential: device.credential,
      acceptCredentialReuse: false,
    });
    expect(outcome.credentialReused).toBe(false);
    expect(outcome.credential.guid).toBe(device.guidHex);
    const vouchers = await harness.dataSource
      .getRepository(VoucherEntity)
      .find({ where: { deviceId: device.deviceId }, order: { createdAt: 'ASC' } });
    expect(vouchers.map((v) => [v.status, v.guid, v.replacesVoucherId])).toEqual([
      ['retired', device.guidHex, null],
      ['active', device.guidHex, device.voucherId],
    ]);
    expect(
      await harness.dataSource.transaction((m) => new AuditLog().verifyChain(m, reuseOwner.tenant.id)),
    ).toMatchObject({ valid: true });
    // The replacement works for the next TO2.
    const again = await runTo2({
      session: new FdoHttpSession({ baseUrl: harness.instance.url }),
      credential: outcome.credential,
    });
    expect(again.credentialReused).toBe(true);
  });
});
