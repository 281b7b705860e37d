import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyService } from '@ztp/auth';
import { createSztpFixture, RestconfRequestError, SztpAnswers, type SztpFixture } from '@ztp/persistence';
import { type KeyCustody } from '@ztp/pki';
import { KEY_CUSTODY } from '@ztp/platform';
import { LedgerHarness } from '../vouchers/ledger-harness.testing';

/**
 * SZTP devices under the device state machine: the owner holding the voucher disables, enables and
 * decommissions them over the REST API, and the SZTP servers' shared answer path refuses a disabled
 * or decommissioned device with a RESTCONF access-denied error.
 */
let harness: LedgerHarness;
let db: DataSource;
let world: SztpFixture;
let ownerKey: string;
let answers: SztpAnswers;

beforeAll(async () => {
  harness = await LedgerHarness.start();
  db = harness.app.get(DataSource);
  world = await createSztpFixture(db, harness.app.get<KeyCustody>(KEY_CUSTODY), {
    slug: `lc${randomBytes(3).toString('hex')}`,
  });
  ownerKey = (
    await harness.app.get(ApiKeyService).create({
      tenantId: world.owner.id,
      name: 'admin',
      roles: ['tenant:admin'],
      createdBy: 'test',
    })
  ).key;
  // Only the context lookup is exercised here.
  answers = new SztpAnswers({
    dataSource: db,
    ownerSigners: undefined as never,
    vouchers: undefined as never,
  });
});

afterAll(async () => {
  await harness?.close();
});

async function refusal(deviceId: string): Promise<RestconfRequestError | null> {
  return answers.contextFor({ deviceId } as Parameters<SztpAnswers['contextFor']>[0]).then(
    () => null,
    (err: unknown) => (err instanceof RestconfRequestError ? err : Promise.reject(err)),
  );
}

const call = (key: string, path: string) =>
  fetch(`${harness.url}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${key}` } });

describe('SZTP device lifecycle', () => {
  it('disable -> access-denied, enable -> answered again, decommission -> access-denied for good', async () => {
    const { device } = await world.addDevice({ serialNumber: `SN-${randomBytes(3).toString('hex')}` });
    expect(await refusal(device.id)).toBeNull();

    const disabled = await call(ownerKey, `/v1/sztp/devices/${device.id}/disable`);
    expect(disabled.status).toBe(200);
    expect(await disabled.json()).toMatchObject({ lifecycle: 'disabled', disabledFrom: 'manufactured' });
    expect(await refusal(device.id)).toMatchObject({ status: 403 });
    expect((await refusal(device.id))!.message).toMatch(/disabled by its owner/);
    expect((await call(ownerKey, `/v1/sztp/devices/${device.id}/disable`)).status).toBe(409);

    expect((await call(ownerKey, `/v1/sztp/devices/${device.id}/enable`)).status).toBe(200);
    expect(await refusal(device.id)).toBeNull();

    expect((await call(ownerKey, `/v1/sztp/devices/${device.id}/decommission`)).status).toBe(200);
    expect((await refusal(device.id))!.message).toMatch(/decommissioned/);
    for (const action of ['enable', 'disable', 'decommission'])
      expect((await call(ownerKey, `/v1/sztp/devices/${device.id}/${action}`)).status).toBe(409);
    await expect(
      db.query(`UPDATE sztp_device SET lifecycle = 'manufactured' WHERE id = $1`, [device.id]),
    ).rejects.toThrow(/not allowed/);

    const events: { event_type: string }[] = await db.query(
      `SELECT event_type FROM audit_event WHERE tenant_id = $1 AND subject = $2 ORDER BY seq`,
      [world.owner.id, `sztp-device:${device.id}`],
    );
    expect(events.map((event) => event.event_type)).toEqual([
      'device.disabled',
      'device.enabled',
      'device.decommissioned',
    ]);
  });

  it('another tenant cannot move a device it does not hold', async () => {
    const { device } = await world.addDevice({ serialNumber: `SN-${randomBytes(3).toString('hex')}` });
    const stranger = await harness.tenant('owner', `stranger-${randomBytes(3).toString('hex')}`);
    expect((await call(stranger.key, `/v1/sztp/devices/${device.id}/disable`)).status).toBe(404);
    expect((await call(ownerKey, `/v1/sztp/devices/not-a-uuid/disable`)).status).toBe(404);
  });
});
