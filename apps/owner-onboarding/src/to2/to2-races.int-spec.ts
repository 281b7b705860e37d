import { FdoErrorReply } from '@ztp/fdo-client';
import { AuditLog } from '@ztp/persistence';
import { devmodServiceInfo, ErrorCode, MessageType, type ServiceInfo } from '@ztp/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualDevice } from '../testing/manual-device';
import {
  createOwner,
  provisionDevice,
  type TestDevice,
  type TestOwner,
} from '../testing/onboarding-fixtures';
import {
  type OwnerOnboardingHarness,
  startOwnerOnboardingHarness,
} from '../testing/owner-onboarding-harness';

/**
 * The ledger changing under a TO2 session: a voucher deleted, or transferred to another owner (an
 * accepted transfer moves the voucher's holder), after the session began. From then on the session
 * goes no further (66 and 68 refused) and TO2.Done writes nothing, with credential reuse as without.
 */
let harness: OwnerOnboardingHarness;
let owner: TestOwner;
let reuseOwner: TestOwner;
let buyer: TestOwner;

beforeAll(async () => {
  harness = await startOwnerOnboardingHarness();
  owner = await createOwner(harness.dataSource, harness.custody);
  reuseOwner = await createOwner(harness.dataSource, harness.custody, {
    settings: { credentialReuse: true },
  });
  buyer = await createOwner(harness.dataSource, harness.custody);
});

afterAll(async () => {
  await harness?.stop();
});

async function code(attempt: Promise<unknown>): Promise<number> {
  try {
    await attempt;
  } catch (err) {
    if (err instanceof FdoErrorReply) return err.code;
    throw err;
  }
  throw new Error('expected an FDO error reply');
}

const devmod = (): ServiceInfo[] =>
  devmodServiceInfo({
    os: 'linux',
    arch: 'x86_64',
    version: '1',
    device: 'd',
    sep: ';',
    bin: 'x86_64',
    modules: ['devmod'],
  });

/** A device of `of` through 66 (replacement HMAC, or null: credential reuse). */
async function readyDevice(
  of: TestOwner,
  hmac: 'some' | null,
): Promise<{ d: ManualDevice; dev: TestDevice }> {
  const dev = await provisionDevice(harness.dataSource, { owner: of });
  const d = new ManualDevice(dev.credential, harness.instance.url);
  await d.hello();
  await d.entry(0);
  await d.prove();
  await d.ready(d.readyBody(hmac));
  return { d, dev };
}

async function sendDevmod(d: ManualDevice): Promise<void> {
  for (const [isMore, info] of devmod().map((si, i, all) => [i < all.length - 1, si] as const))
    await d.serviceInfo(isMore, info);
}

/** What a completed TO2 writes for `dev`: none of it may exist after a refused Done. */
async function ledger(dev: TestDevice) {
  const rows: { lifecycle: string; guid: string; events: number; vouchers: number; deliveries: number }[] =
    await harness.dataSource.query(
      `SELECT d.lifecycle, d.guid,
              (SELECT count(*) FROM audit_event WHERE actor = $2)::int AS events,
              (SELECT count(*) FROM voucher WHERE device_id = d.id)::int AS vouchers,
              (SELECT count(*) FROM webhook_delivery WHERE payload->'data'->>'deviceId' = $1::text)::int AS deliveries
         FROM device d WHERE d.id = $1::uuid`,
      [dev.deviceId, `device:${dev.guidHex}`],
    );
  return rows[0]!;
}

const voucherRow = async (id: string) =>
  (
    (await harness.dataSource.query(`SELECT status, holder_tenant_id FROM voucher WHERE id = $1`, [id])) as {
      status: string;
      holder_tenant_id: string;
    }[]
  )[0]!;

describe('TO2 while the ledger changes', () => {
  it('credential reuse: a voucher deleted mid-TO2 does not complete (500, nothing written)', async () => {
    const { d, dev } = await readyDevice(reuseOwner, null);
    await sendDevmod(d);
    await harness.dataSource.query(`UPDATE voucher SET status = 'deleted' WHERE id = $1`, [dev.voucherId]);
    const body = d.doneBody();
    expect(await code(d.done(body))).toBe(ErrorCode.InternalServerError);
    expect(await ledger(dev)).toEqual({
      lifecycle: 'owned',
      guid: dev.guidHex,
      events: 0,
      vouchers: 1,
      deliveries: 0,
    });
    expect((await voucherRow(dev.voucherId)).status).toBe('deleted');
    // The refusal is the voucher's state, nothing else: restored, the same Done completes.
    await harness.dataSource.query(`UPDATE voucher SET status = 'active' WHERE id = $1`, [dev.voucherId]);
    expect((await d.done(body)).type).toBe(MessageType.TO2Done2);
    expect((await ledger(dev)).lifecycle).toBe('onboarded');
  });

  it('credential reuse declined under a reuse owner: a voucher deleted mid-TO2 does not complete', async () => {
    const { d, dev } = await readyDevice(reuseOwner, 'some');
    await sendDevmod(d);
    await harness.dataSource.query(`UPDATE voucher SET status = 'deleted' WHERE id = $1`, [dev.voucherId]);
    expect(await code(d.done())).toBe(ErrorCode.InternalServerError);
    expect(await ledger(dev)).toMatchObject({ lifecycle: 'owned', events: 0, vouchers: 1 });
  });

  for (const hmac of ['some', null] as const)
    it(`a transfer accepted mid-TO2 (${hmac ? 'replacement' : 'credential reuse'}): the old owner cannot finish`, async () => {
      const { d, dev } = await readyDevice(hmac ? owner : reuseOwner, hmac);
      await sendDevmod(d);
      // What accepting a transfer does to the voucher row: the recipient holds it from then on.
      await harness.dataSource.query(`UPDATE voucher SET holder_tenant_id = $2 WHERE id = $1`, [
        dev.voucherId,
        buyer.tenant.id,
      ]);
      expect(await code(d.done())).toBe(ErrorCode.InternalServerError);
      expect(await ledger(dev)).toEqual({
        lifecycle: 'owned',
        guid: dev.guidHex,
        events: 0,
        vouchers: 1,
        deliveries: 0,
      });
      expect(await voucherRow(dev.voucherId)).toEqual({
        status: 'active',
        holder_tenant_id: buyer.tenant.id,
      });
      const seller = hmac ? owner : reuseOwner;
      expect(
        await harness.dataSource.transaction((m) => new AuditLog().verifyChain(m, seller.tenant.id)),
      ).toMatchObject({ valid: true });
    });

  it('a device disabled mid-TO2 does not complete (500, nothing written); enabled again, the same Done completes', async () => {
    const { d, dev } = await readyDevice(owner, 'some');
    await sendDevmod(d);
    await harness.dataSource.query(
      `UPDATE device SET lifecycle = 'disabled', disabled_from = lifecycle WHERE id = $1`,
      [dev.deviceId],
    );
    const body = d.doneBody();
    expect(await code(d.done(body))).toBe(ErrorCode.InternalServerError);
    expect(await ledger(dev)).toMatchObject({ lifecycle: 'disabled', events: 0, vouchers: 1, deliveries: 0 });
    await harness.dataSource.query(
      `UPDATE device SET lifecycle = disabled_from, disabled_from = NULL WHERE id = $1`,
      [dev.deviceId],
    );
    expect((await d.done(body)).type).toBe(MessageType.TO2Done2);
    expect((await ledger(dev)).lifecycle).toBe('onboarded');
  });

  for (const hmac of ['some', null] as const)
    it(`a device decommissioned mid-TO2 (${hmac ? 'replacement' : 'credential reuse'}) does not complete; HelloDevice refuses it after`, async () => {
      const { d, dev } = await readyDevice(hmac ? owner : reuseOwner, hmac);
      await sendDevmod(d);
      // What the decommission use case does to the rows (DeviceLifecycleService.decommission).
      await harness.dataSource.query(
        `UPDATE device SET lifecycle = 'decommissioned', disabled_from = NULL WHERE id = $1`,
        [dev.deviceId],
      );
      await harness.dataSource.query(`UPDATE voucher SET status = 'retired' WHERE id = $1`, [dev.voucherId]);
      expect(await code(d.done())).toBe(ErrorCode.InternalServerError);
      expect(await ledger(dev)).toEqual({
        lifecycle: 'decommissioned',
        guid: dev.guidHex,
        events: 0,
        vouchers: 1,
        deliveries: 0,
      });
      const again = new ManualDevice(dev.credential, harness.instance.url);
      const refused = await again.hello().then(
        () => null,
        (err: unknown) => err,
      );
      expect(refused).toBeInstanceOf(FdoErrorReply);
      expect((refused as FdoErrorReply).message).toMatch(/decommissioned/);
    });

  it('HelloDevice refuses a disabled device with a clear error, and accepts it once enabled', async () => {
    const dev = await provisionDevice(harness.dataSource, { owner });
    await harness.dataSource.query(
      `UPDATE device SET lifecycle = 'disabled', disabled_from = lifecycle WHERE id = $1`,
      [dev.deviceId],
    );
    const refused = await new ManualDevice(dev.credential, harness.instance.url).hello().then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toMatchObject({ code: ErrorCode.ResourceNotFound });
    expect((refused as FdoErrorReply).message).toMatch(/disabled by its owner/);
    await harness.dataSource.query(
      `UPDATE device SET lifecycle = disabled_from, disabled_from = NULL WHERE id = $1`,
      [dev.deviceId],
    );
    await new ManualDevice(dev.credential, harness.instance.url).hello();
  });

  it('configuration after a deletion is refused: 68 (ServiceInfo) is 500 and the session stays put', async () => {
    const { d, dev } = await readyDevice(owner, 'some');
    await harness.dataSource.query(`UPDATE voucher SET status = 'deleted' WHERE id = $1`, [dev.voucherId]);
    const [first] = devmod();
    expect(await code(d.serviceInfo(true, first!))).toBe(ErrorCode.InternalServerError);
    const stage: { stage: string }[] = await harness.dataSource.query(
      `SELECT stage FROM to2_session WHERE device_id = $1`,
      [dev.deviceId],
    );
    expect(stage).toEqual([{ stage: 'service-info' }]);
  });

  it('configuration after a deletion is refused: 66 (ServiceInfoReady) on a session this replica knows is 500', async () => {
    const dev = await provisionDevice(harness.dataSource, { owner });
    const d = new ManualDevice(dev.credential, harness.instance.url);
    await d.hello();
    await d.entry(0);
    await d.prove();
    await harness.dataSource.query(`UPDATE voucher SET holder_tenant_id = $2 WHERE id = $1`, [
      dev.voucherId,
      buyer.tenant.id,
    ]);
    expect(await code(d.ready())).toBe(ErrorCode.InternalServerError);
    const stage: { stage: string }[] = await harness.dataSource.query(
      `SELECT stage FROM to2_session WHERE device_id = $1`,
      [dev.deviceId],
    );
    expect(stage).toEqual([{ stage: 'setup' }]);
  });
});
