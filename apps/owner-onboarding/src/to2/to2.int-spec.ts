import { FdoHttpSession, runTo2 } from '@ztp/fdo-client';
import {
  AuditEventEntity,
  AuditLog,
  ConfigBundleEntity,
  DeviceEntity,
  VoucherEntity,
} from '@ztp/persistence';
import { ErrorCode, parseVoucher, verifyVoucher } from '@ztp/protocol';
import { type WebhookPayload } from '@ztp/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOwner, provisionDevice, type TestOwner } from '../testing/onboarding-fixtures';
import {
  type OwnerOnboardingHarness,
  startOwnerOnboardingHarness,
} from '../testing/owner-onboarding-harness';

let harness: OwnerOnboardingHarness;
let owner: TestOwner;

beforeAll(async () => {
  harness = await startOwnerOnboardingHarness();
  owner = await createOwner(harness.dataSource, harness.custody);
});

afterAll(async () => {
  await harness?.stop();
});

const session = (url = harness.instance.url) => new FdoHttpSession({ baseUrl: url });

describe('TO2 (owner-onboarding)', () => {
  it('onboards a device: replacement credentials, replacement voucher, old voucher retired, audit, webhook', async () => {
    const endpoints: { id: string }[] = await harness.dataSource.query(
      `INSERT INTO webhook_endpoint (tenant_id, url, event_types, secret_sealed, enabled, created_by)
       VALUES ($1, 'https://hooks.example/a', '["device.onboarded"]', '\\x00', true, 'test'),
              ($1, 'https://hooks.example/b', '["device.onboarded"]', '\\x00', false, 'test'),
              ($1, 'https://hooks.example/c', '["voucher.received"]', '\\x00', true, 'test')
       RETURNING id`,
      [owner.tenant.id],
    );
    const device = await provisionDevice(harness.dataSource, { owner });
    const outcome = await runTo2({ session: session(), credential: device.credential });

    expect(outcome.credentialReused).toBe(false);
    expect(outcome.credential.guid).not.toBe(device.guidHex);
    const vouchers = harness.dataSource.getRepository(VoucherEntity);
    expect((await vouchers.findOneByOrFail({ id: device.voucherId })).status).toBe('retired');
    const replacement = await vouchers.findOneByOrFail({ guid: outcome.credential.guid, status: 'active' });
    expect(replacement).toMatchObject({
      deviceId: device.deviceId,
      numEntries: 0,
      replacesVoucherId: device.voucherId,
    });
    const replacementVoucher = parseVoucher(new Uint8Array(replacement.cbor));
    // The device's new secret authenticates the replacement voucher header.
    verifyVoucher(replacementVoucher, { hmacSecret: outcome.credential.hmacSecret });
    expect(
      await harness.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: device.deviceId }),
    ).toMatchObject({
      guid: outcome.credential.guid,
      lifecycle: 'onboarded',
    });
    expect(
      await harness.dataSource
        .getRepository(ConfigBundleEntity)
        .findOneByOrFail({ deviceId: device.deviceId }),
    ).toMatchObject({ deliveryStatus: 'delivered' });
    const events = await harness.dataSource
      .getRepository(AuditEventEntity)
      .findBy({ tenantId: owner.tenant.id });
    expect(events.map((event) => event.eventType)).toEqual(
      expect.arrayContaining(['voucher.replaced', 'device.onboarded']),
    );
    expect(
      await harness.dataSource.transaction((m) => new AuditLog().verifyChain(m, owner.tenant.id)),
    ).toMatchObject({ valid: true });
    // The device.onboarded webhook: one delivery, for the enabled endpoint subscribed to it.
    const deliveries: { endpoint_id: string; event_type: string; status: string; payload: WebhookPayload }[] =
      await harness.dataSource.query(
        `SELECT endpoint_id, event_type, status, payload FROM webhook_delivery WHERE tenant_id = $1`,
        [owner.tenant.id],
      );
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({
      endpoint_id: endpoints[0]!.id,
      event_type: 'device.onboarded',
      status: 'pending',
      payload: {
        type: 'device.onboarded',
        tenantId: owner.tenant.id,
        subject: `device:${outcome.credential.guid}`,
        data: {
          deviceId: device.deviceId,
          guid: outcome.credential.guid,
          previousGuid: device.guidHex,
          credentialReuse: false,
          voucherId: device.voucherId,
          replacementVoucherId: replacement.id,
        },
      },
    });

    // The replacement credential works for the next TO2, with the replacement voucher.
    const again = await runTo2({ session: session(), credential: outcome.credential });
    expect(again.credential.guid).not.toBe(outcome.credential.guid);
  });

  it('refuses an unknown GUID with error 6', async () => {
    const device = await provisionDevice(harness.dataSource, { owner });
    await harness.dataSource
      .getRepository(VoucherEntity)
      .update({ id: device.voucherId }, { status: 'deleted' });
    await expect(runTo2({ session: session(), credential: device.credential })).rejects.toMatchObject({
      code: ErrorCode.ResourceNotFound,
    });
  });
});
