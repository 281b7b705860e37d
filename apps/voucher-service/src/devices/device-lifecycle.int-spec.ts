import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { voucherToPem } from '@ztp/protocol';
import { type LedgerTenant, LedgerHarness } from '../vouchers/ledger-harness.testing';
import { manufacture } from '../vouchers/voucher-builder.testing';

/**
 * The owner's lifecycle moves over the REST API against a real database: each allowed move writes
 * one audit event and one webhook event; each refused one is a 409 problem and writes nothing.
 */
let harness: LedgerHarness;
let owner: LedgerTenant;
let other: LedgerTenant;
let maker: LedgerTenant;
let db: DataSource;

beforeAll(async () => {
  harness = await LedgerHarness.start();
  db = harness.app.get(DataSource);
  owner = await harness.tenant('owner', `owner-${randomBytes(3).toString('hex')}`);
  other = await harness.tenant('owner', `other-${randomBytes(3).toString('hex')}`);
  maker = await harness.tenant('manufacturer', `maker-${randomBytes(3).toString('hex')}`);
  await harness.call(owner.key, 'POST', '/v1/webhooks', {
    url: 'https://hooks.example/lifecycle',
    eventTypes: ['device.disabled', 'device.enabled', 'device.decommissioned'],
  });
});

afterAll(async () => {
  await harness?.close();
});

/** An owner-held device (imported: owned). */
async function ownedDevice(): Promise<{ guid: string; deviceId: string; voucherId: string }> {
  const response = await fetch(`${harness.url}/v1/vouchers`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${owner.key}`, 'Content-Type': 'application/x-pem-file' },
    body: voucherToPem(manufacture(owner.ownerPublicKey)),
  });
  expect(response.status).toBe(201);
  const body = (await response.json()) as { vouchers: { guid: string; id: string; deviceId: string }[] };
  const [voucher] = body.vouchers;
  return { guid: voucher!.guid, deviceId: voucher!.deviceId, voucherId: voucher!.id };
}

async function problem(key: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${harness.url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { type: string; detail: string } };
}

const events = async (guid: string) =>
  (
    (await db.query(`SELECT event_type FROM audit_event WHERE tenant_id = $1 AND subject = $2 ORDER BY seq`, [
      owner.id,
      `device:${guid}`,
    ])) as { event_type: string }[]
  ).map((row) => row.event_type);

const webhooks = async (guid: string) =>
  (
    (await db.query(
      `SELECT event_type, payload->'data'->>'from' AS "from", payload->'data'->>'to' AS "to"
         FROM webhook_delivery WHERE tenant_id = $1 AND payload->>'subject' = $2 ORDER BY created_at, id`,
      [owner.id, `device:${guid}`],
    )) as { event_type: string; from: string; to: string }[]
  ).map((row) => `${row.event_type} ${row.from}->${row.to}`);

const registration = (guid: string) =>
  db.query(
    `INSERT INTO rv_registration (guid, voucher, to1d, num_entries, owner_key_sha256, manufacturer_key_sha256,
       device_key_spki, to2_addresses, requested_wait_seconds, granted_wait_seconds, registered_at, expires_at,
       source_address)
     VALUES ($1, '\\x00', '\\x00', 1, 'o', 'm', '\\x00', '[]', 60, 60, now(), now() + interval '1 hour', '127.0.0.1')`,
    [guid],
  );
const registrations = async (guid: string) =>
  Number(
    (
      (await db.query(`SELECT count(*) AS n FROM rv_registration WHERE guid = $1`, [guid])) as { n: string }[]
    )[0]!.n,
  );

describe('device lifecycle API', () => {
  it('disable -> enable: back to the state it left; each move audited and announced once; registrations withdrawn', async () => {
    const { guid } = await ownedDevice();
    expect(await harness.call(owner.key, 'GET', `/v1/devices/${guid}/lifecycle`)).toMatchObject({
      lifecycle: 'owned',
      reonboarding: null,
      effectiveReonboarding: 'never',
    });
    await registration(guid);
    expect(
      await harness.call(owner.key, 'POST', `/v1/devices/${guid}/disable`, undefined, 200),
    ).toMatchObject({
      lifecycle: 'disabled',
      disabledFrom: 'owned',
    });
    expect(await registrations(guid)).toBe(0);
    const again = await problem(owner.key, 'POST', `/v1/devices/${guid}/disable`);
    expect(again).toMatchObject({
      status: 409,
      body: { type: 'https://ztp.dev/problems/device-lifecycle-conflict' },
    });
    expect(await harness.call(owner.key, 'POST', `/v1/devices/${guid}/enable`, undefined, 200)).toMatchObject(
      {
        lifecycle: 'owned',
        disabledFrom: null,
      },
    );
    expect((await problem(owner.key, 'POST', `/v1/devices/${guid}/enable`)).status).toBe(409);
    expect(await events(guid)).toEqual(['device.disabled', 'device.enabled']);
    expect(await webhooks(guid)).toEqual([
      'device.disabled owned->disabled',
      'device.enabled disabled->owned',
    ]);
    // Another tenant cannot see or move it.
    expect((await problem(other.key, 'POST', `/v1/devices/${guid}/disable`)).status).toBe(404);
    expect((await problem(other.key, 'GET', `/v1/devices/${guid}/lifecycle`)).status).toBe(404);
  });

  it('two concurrent disables: exactly one moves the device, the other is 409', async () => {
    const { guid } = await ownedDevice();
    const results = await Promise.all(
      [0, 1, 2].map(() => problem(owner.key, 'POST', `/v1/devices/${guid}/disable`)),
    );
    expect(results.map((result) => result.status).sort()).toEqual([200, 409, 409]);
    expect(await events(guid)).toEqual(['device.disabled']);
  });

  it('re-onboarding: device override and the on-request arm (only for an onboarded device, never under never)', async () => {
    const { guid, deviceId } = await ownedDevice();
    expect((await problem(owner.key, 'POST', `/v1/devices/${guid}/rearm`)).body.type).toMatch(
      /device-not-onboarded$/,
    );
    // What TO2 Done does to the device row.
    await db.query(`UPDATE device SET lifecycle = 'onboarded' WHERE id = $1`, [deviceId]);
    expect((await problem(owner.key, 'POST', `/v1/devices/${guid}/rearm`)).body.type).toMatch(
      /reonboarding-never$/,
    );
    expect(
      await harness.call(owner.key, 'PUT', `/v1/devices/${guid}/reonboarding`, {
        reonboarding: 'on-request',
      }),
    ).toMatchObject({
      reonboarding: 'on-request',
      effectiveReonboarding: 'on-request',
      reonboardRequestedAt: null,
    });
    const armed = await harness.call<{ reonboardRequestedAt: string | null }>(
      owner.key,
      'POST',
      `/v1/devices/${guid}/rearm`,
      undefined,
      200,
    );
    expect(armed.reonboardRequestedAt).not.toBeNull();
    expect(
      (await problem(owner.key, 'PUT', `/v1/devices/${guid}/reonboarding`, { reonboarding: 'sometimes' }))
        .status,
    ).toBe(400);
    // A group's policy applies when the device has none of its own.
    await harness.call(owner.key, 'PUT', `/v1/devices/${guid}/reonboarding`, { reonboarding: null });
    await harness.call(owner.key, 'POST', '/v1/onboarding/groups', {
      name: `g-${guid.slice(0, 8)}`,
      members: [`guid:${guid}`],
      reonboarding: 'same-owner',
    });
    expect(await harness.call(owner.key, 'GET', `/v1/devices/${guid}/lifecycle`)).toMatchObject({
      reonboarding: null,
      effectiveReonboarding: 'same-owner',
    });
    expect(await events(guid)).toEqual([
      'device.reonboarding-set',
      'device.reonboarding-requested',
      'device.reonboarding-set',
    ]);
  });

  it('decommission: voucher retired, registrations withdrawn, terminal; every later move refused', async () => {
    const { guid, voucherId } = await ownedDevice();
    await registration(guid);
    await harness.call(owner.key, 'POST', `/v1/devices/${guid}/disable`, undefined, 200);
    expect(
      await harness.call(owner.key, 'POST', `/v1/devices/${guid}/decommission`, undefined, 200),
    ).toMatchObject({ lifecycle: 'decommissioned', disabledFrom: null });
    expect(await registrations(guid)).toBe(0);
    const [voucher] = (await db.query(`SELECT status FROM voucher WHERE id = $1`, [voucherId])) as {
      status: string;
    }[];
    expect(voucher!.status).toBe('retired');
    for (const action of ['enable', 'disable', 'decommission', 'rearm']) {
      const refused = await problem(owner.key, 'POST', `/v1/devices/${guid}/${action}`);
      expect(refused).toMatchObject({
        status: 409,
        body: { type: 'https://ztp.dev/problems/device-decommissioned' },
      });
    }
    expect((await problem(other.key, 'POST', `/v1/devices/${guid}/decommission`)).status).toBe(404);
    expect(await events(guid)).toEqual(['device.disabled', 'device.decommissioned']);
    expect(await webhooks(guid)).toEqual([
      'device.disabled owned->disabled',
      'device.decommissioned disabled->decommissioned',
    ]);
    const verified = await harness.call<{ valid: boolean }>(owner.key, 'GET', '/v1/audit/verify');
    expect(verified.valid).toBe(true);
  });

  it('group disable/enable moves the members the owner holds that can move', async () => {
    const a = await ownedDevice();
    const b = await ownedDevice();
    await harness.call(owner.key, 'POST', `/v1/devices/${b.guid}/disable`, undefined, 200);
    const group = await harness.call<{ id: string }>(owner.key, 'POST', '/v1/onboarding/groups', {
      name: `fleet-${a.guid.slice(0, 8)}`,
      members: [`guid:${a.guid}`, `guid:${b.guid}`, `guid:${'f'.repeat(32)}`],
    });
    const disabled = await harness.call<{ changed: { guid: string }[]; unchanged: number }>(
      owner.key,
      'POST',
      `/v1/onboarding/groups/${group.id}/disable`,
      undefined,
      200,
    );
    expect(disabled.changed.map((device) => device.guid)).toEqual([a.guid]);
    expect(disabled.unchanged).toBe(1);
    const enabled = await harness.call<{ changed: { guid: string; lifecycle: string }[] }>(
      owner.key,
      'POST',
      `/v1/onboarding/groups/${group.id}/enable`,
      undefined,
      200,
    );
    expect(enabled.changed.map((device) => device.lifecycle)).toEqual(['owned', 'owned']);
    expect((await problem(other.key, 'POST', `/v1/onboarding/groups/${group.id}/disable`)).status).toBe(404);
  });

  it("a transfer accepted before first boot withdraws the seller's registration here (the buyer has no onboarding address yet)", async () => {
    const { guid, voucherId } = await ownedDevice();
    const [{ owner_key_sha256: sellerKey }] = (await db.query(
      `SELECT owner_key_sha256 FROM voucher WHERE id = $1`,
      [voucherId],
    )) as { owner_key_sha256: string }[];
    await registration(guid);
    await db.query(`UPDATE rv_registration SET owner_key_sha256 = $2 WHERE guid = $1`, [guid, sellerKey]);
    const buyer = await harness.tenant('owner', `buyer-${randomBytes(3).toString('hex')}`);
    const transfer = await harness.call<{ id: string }>(owner.key, 'POST', `/v1/vouchers/${guid}/transfers`, {
      to: { tenant: buyer.id, ownerKeyId: buyer.ownerKeyId },
    });
    expect(await registrations(guid)).toBe(1);
    await harness.call(buyer.key, 'POST', `/v1/transfers/${transfer.id}/accept`, undefined, 200);
    expect(await registrations(guid)).toBe(0);
    // The seller no longer sees it; the buyer does, still owned (no second device.owned).
    expect((await problem(owner.key, 'GET', `/v1/devices/${guid}/lifecycle`)).status).toBe(404);
    expect(await harness.call(buyer.key, 'GET', `/v1/devices/${guid}/lifecycle`)).toMatchObject({
      lifecycle: 'owned',
    });
  });

  it("refurbish: only the manufacturer's decommissioned device, once", async () => {
    const serial = `SN-${randomBytes(4).toString('hex')}`;
    const [device] = (await db.query(
      `INSERT INTO device (manufacturer_tenant_id, serial_number, device_info, guid, original_guid, lifecycle)
       VALUES ($1, $2, 'x', $3, $3, 'manufactured') RETURNING id`,
      [maker.id, serial, randomBytes(16).toString('hex')],
    )) as { id: string }[];
    const path = `/v1/manufacturers/${maker.id}/devices/refurbish`;
    expect((await problem(maker.key, 'POST', path, { serialNumber: serial })).body.type).toMatch(
      /device-not-decommissioned$/,
    );
    await db.query(`UPDATE device SET lifecycle = 'decommissioned' WHERE id = $1`, [device!.id]);
    expect((await problem(owner.key, 'POST', path, { serialNumber: serial })).status).toBe(404);
    expect(await harness.call(maker.key, 'POST', path, { serialNumber: serial }, 200)).toMatchObject({
      deviceId: device!.id,
      serialNumber: serial,
    });
    expect((await problem(maker.key, 'POST', path, { serialNumber: serial })).status).toBe(409);
    expect((await problem(maker.key, 'POST', path, { serialNumber: 'nope' })).status).toBe(404);
    // Nothing else moves a decommissioned device.
    await expect(
      db.query(`UPDATE device SET lifecycle = 'manufactured' WHERE id = $1`, [device!.id]),
    ).rejects.toThrow(/not allowed/);
  });
});
