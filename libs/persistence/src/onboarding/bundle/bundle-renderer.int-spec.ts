import { createHash, randomBytes } from 'node:crypto';
import { type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataSource } from '../../data-source';
import { DeviceEntity } from '../../ledger/device.entity';
import { TenantEntity } from '../../ledger/tenant.entity';
import { VoucherEntity } from '../../ledger/voucher.entity';
import { createTestDatabase, type TestDatabase } from '../../testing/create-test-database';
import { ConfigBundleEntity } from '../config-bundle.entity';
import { ConfigFileEntity } from '../config-file.entity';
import { ConfigPlanEntity } from '../config-plan.entity';
import { BundleRenderer } from './bundle-renderer';
import { decodeOwnerProgram } from './owner-program';

let database: TestDatabase;
let dataSource: DataSource;

beforeAll(async () => {
  database = await createTestDatabase();
  dataSource = await openDataSource({ url: database.url });
});

afterAll(async () => {
  await dataSource?.destroy();
  await database?.drop();
});

async function ownerWithDevice(slug: string, deviceInfo: string) {
  const owner = await dataSource
    .getRepository(TenantEntity)
    .save({ kind: 'owner', name: slug, slug, settings: {} });
  const guid = randomBytes(16).toString('hex');
  const device = await dataSource.getRepository(DeviceEntity).save({
    manufacturerTenantId: null,
    serialNumber: `SN-${slug}`,
    deviceInfo,
    guid,
    originalGuid: guid,
    lifecycle: 'owned',
  });
  await dataSource.getRepository(VoucherEntity).insert({
    deviceId: device.id,
    guid,
    cbor: Buffer.from([0x80]),
    numEntries: 1,
    ownerKeySha256: 'x',
    holderTenantId: owner.id,
    status: 'active',
    replacesVoucherId: null,
    deletedAt: null,
  });
  return { owner, device };
}

describe('BundleRenderer', () => {
  it('renders the matching plan for every held device, then only what changed', async () => {
    const { owner, device } = await ownerWithDevice('render-a', 'acme-router');
    const content = Buffer.from('hello device');
    const file = await dataSource.getRepository(ConfigFileEntity).save({
      ownerTenantId: owner.id,
      name: 'greeting',
      size: content.length,
      sha384: createHash('sha384').update(content).digest(),
      content,
    });
    const plan = await dataSource.getRepository(ConfigPlanEntity).save({
      ownerTenantId: owner.id,
      name: 'routers',
      selectorKind: 'device-info',
      deviceInfoPattern: 'acme-*',
      deviceGuid: null,
      deviceSerial: null,
      groupId: null,
      priority: 100,
      revision: 1,
      content: {
        certificate: { validityDays: 30 },
        files: [{ fileId: file.id, path: 'greeting.txt' }],
        commands: [{ command: 'true' }],
      },
    });
    const renderer = new BundleRenderer(dataSource);

    expect(await renderer.renderTenant(owner.id)).toEqual({ rendered: 1, unchanged: 0, deferred: 0 });
    const bundle = await dataSource
      .getRepository(ConfigBundleEntity)
      .findOneByOrFail({ deviceId: device.id });
    expect(bundle).toMatchObject({ planId: plan.id, planRevision: 1, revision: 1, deliveryStatus: 'queued' });
    const program = decodeOwnerProgram(bundle.steps);
    expect(program.steps.map((step) => step.module)).toEqual(['fdo.csr', 'fdo.download', 'fdo.command']);
    expect(program.steps[1]).toMatchObject({
      fileId: file.id,
      await: { kind: 'download', length: content.length },
    });

    expect(await renderer.renderTenant(owner.id)).toEqual({ rendered: 0, unchanged: 1, deferred: 0 });
    await dataSource.getRepository(ConfigPlanEntity).update(plan.id, { revision: 2, content: {} });
    expect(await renderer.renderTenant(owner.id)).toEqual({ rendered: 1, unchanged: 0, deferred: 0 });
    expect(
      await dataSource.getRepository(ConfigBundleEntity).findOneByOrFail({ deviceId: device.id }),
    ).toMatchObject({
      revision: 2,
      planRevision: 2,
      summary: [],
    });
  });

  it('defers a device that is receiving its bundle, and marks it stale', async () => {
    const { owner, device } = await ownerWithDevice('render-b', 'other');
    const renderer = new BundleRenderer(dataSource);
    await renderer.renderDevice({
      deviceId: device.id,
      ownerTenantId: owner.id,
      guid: device.guid,
      originalGuid: device.originalGuid,
      serialNumber: device.serialNumber,
      deviceInfo: device.deviceInfo,
    });
    await dataSource
      .getRepository(ConfigBundleEntity)
      .update({ deviceId: device.id }, { deliveryStatus: 'delivering' });
    await dataSource.getRepository(ConfigPlanEntity).save({
      ownerTenantId: owner.id,
      name: 'by-serial',
      selectorKind: 'device',
      deviceSerial: device.serialNumber,
      deviceGuid: null,
      deviceInfoPattern: null,
      groupId: null,
      priority: 1,
      revision: 1,
      content: { uploads: [{ path: 'log.txt' }] },
    });
    expect(await renderer.renderTenant(owner.id)).toEqual({ rendered: 0, unchanged: 0, deferred: 1 });
    expect(
      (await dataSource.getRepository(ConfigBundleEntity).findOneByOrFail({ deviceId: device.id })).stale,
    ).toBe(true);
  });

  it('records a plan naming a missing file as a failed bundle, and the sweep renders pending devices', async () => {
    const { owner, device } = await ownerWithDevice('render-c', 'thing');
    await dataSource.getRepository(ConfigPlanEntity).save({
      ownerTenantId: owner.id,
      name: 'broken',
      selectorKind: 'device-info',
      deviceInfoPattern: '*',
      deviceGuid: null,
      deviceSerial: null,
      groupId: null,
      priority: 1,
      revision: 1,
      content: { files: [{ fileId: '00000000-0000-0000-0000-000000000000', path: 'x' }] },
    });
    const report = await new BundleRenderer(dataSource).renderPending();
    expect(report.rendered).toBeGreaterThanOrEqual(1);
    const bundle = await dataSource
      .getRepository(ConfigBundleEntity)
      .findOneByOrFail({ deviceId: device.id });
    expect(bundle.deliveryStatus).toBe('failed');
    expect(bundle.statusDetail).toMatch(/does not exist/);
  });
});
