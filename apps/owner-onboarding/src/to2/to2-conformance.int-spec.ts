import { FdoErrorReply } from '@ztp/fdo-client';
import {
  devmodServiceInfo,
  ErrorCode,
  KexSuite,
  MessageType,
  serviceInfoKv,
  SigAlg,
  type ServiceInfo,
} from '@ztp/protocol';
import { AuditLog, encodeOwnerProgram } from '@ztp/persistence';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualDevice } from '../testing/manual-device';
import { createOwner, provisionDevice, type TestOwner } from '../testing/onboarding-fixtures';
import {
  type OwnerOnboardingHarness,
  startOwnerOnboardingHarness,
} from '../testing/owner-onboarding-harness';

/**
 * The owner-side negative tests of the FIDO conformance tools (FIDO_DOT_60..70) and the session
 * rules (order, replay, concurrency), each expecting the error code those tools expect:
 * 100 for bad encoding or encryption, 101 for failed checks, 1 for a bad token, 102 for refused
 * credential reuse.
 */
let harness: OwnerOnboardingHarness;
let owner: TestOwner;

beforeAll(async () => {
  harness = await startOwnerOnboardingHarness();
  owner = await createOwner(harness.dataSource, harness.custody);
});

afterAll(async () => {
  await harness?.stop();
});

async function device(): Promise<ManualDevice> {
  const provisioned = await provisionDevice(harness.dataSource, { owner });
  return new ManualDevice(provisioned.credential, harness.instance.url);
}

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

/** A device through 66 with ServiceInfo ready. */
async function readyDevice(): Promise<ManualDevice> {
  const d = await device();
  await d.hello();
  await d.entry(0);
  await d.prove();
  await d.ready();
  return d;
}

describe('TO2.HelloDevice (60)', () => {
  it('FIDO_DOT_60_BAD_ENCODING: 100', async () => {
    const d = await device();
    expect(await code(d.raw(MessageType.TO2HelloDevice, Uint8Array.of(0x85, 0x01)))).toBe(
      ErrorCode.MessageBodyError,
    );
  });

  it('an unknown kex suite is 100; ASYMKEX with an EC owner key and a wrong sigInfo are 101', async () => {
    const d = await device();
    expect(await code(d.hello(d.helloBody({ kexSuiteName: 'ECDH999' })))).toBe(ErrorCode.MessageBodyError);
    expect(await code(d.hello(d.helloBody({ kexSuiteName: KexSuite.ASYMKEX2048 })))).toBe(
      ErrorCode.InvalidMessageError,
    );
    expect(await code(d.hello(d.helloBody({ sgType: SigAlg.ES384 })))).toBe(ErrorCode.InvalidMessageError);
  });
});

describe('TO2.GetOVNextEntry (62)', () => {
  it('FIDO_DOT_62_BAD_ENCODING: 100; FIDO_DOT_62_GETOVNEXT_BAD_INDEX: 101; a missing or unknown token: 1', async () => {
    const d = await device();
    expect(await code(d.raw(MessageType.TO2GetOVNextEntry, Uint8Array.of(0x81, 0x01)))).toBe(
      ErrorCode.InvalidJwtToken,
    );
    await d.hello();
    expect(await code(d.raw(MessageType.TO2GetOVNextEntry, Uint8Array.of(0x81, 0x61, 0x61)))).toBe(
      ErrorCode.MessageBodyError,
    );
    expect(await code(d.entry(1))).toBe(ErrorCode.InvalidMessageError);
    const entry = await d.entry(0);
    expect(entry.type).toBe(MessageType.TO2OVNextEntry);
    const stranger = await device();
    (stranger.session as unknown as { token: string }).token = 'not-a-session';
    expect(await code(stranger.entry(0))).toBe(ErrorCode.InvalidJwtToken);
  });
});

describe('TO2.ProveDevice (64)', () => {
  it('FIDO_DOT_64_BAD_ENCODING: 100; FIDO_DOT_64_BAD_EAT_PAYLOAD: 100', async () => {
    const d = await device();
    await d.hello();
    expect(await code(d.raw(MessageType.TO2ProveDevice, Uint8Array.of(0xd2, 0x84)))).toBe(
      ErrorCode.MessageBodyError,
    );
    const noUeid = await d.proveBody((payload) => payload.otherClaims.set(11, new Uint8Array(17)));
    expect(await code(d.prove(noUeid))).toBe(ErrorCode.MessageBodyError);
  });

  it('FIDO_DOT_64_BAD_SIGNATURE: 101; FIDO_DOT_64_BAD_NONCE_PROVEDV61: 101; another GUID: 101', async () => {
    const d = await device();
    await d.hello();
    const good = await d.proveBody();
    const tampered = Uint8Array.from(good);
    tampered[tampered.length - 1]! ^= 0x01;
    expect(await code(d.prove(tampered))).toBe(ErrorCode.InvalidMessageError);
    const badNonce = await d.proveBody((payload) => (payload.nonce = new Uint8Array(16)));
    expect(await code(d.prove(badNonce))).toBe(ErrorCode.InvalidMessageError);
    const otherGuid = await d.proveBody((payload) => (payload.guid = new Uint8Array(16)));
    expect(await code(d.prove(otherGuid))).toBe(ErrorCode.InvalidMessageError);
    // The refused attempts left the session as it was: the genuine proof still works.
    expect((await d.prove()).length).toBeGreaterThan(0);
  });

  it('is processed once: a replay, and a concurrent duplicate, are refused with 100', async () => {
    const d = await device();
    await d.hello();
    const body = await d.proveBody();
    const results = await Promise.allSettled([d.prove(body), d.prove(body)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((rejected.reason as FdoErrorReply).code).toBe(ErrorCode.MessageBodyError);
    expect(await code(d.prove(body))).toBe(ErrorCode.MessageBodyError);
    expect(await code(d.entry(0))).toBe(ErrorCode.MessageBodyError);
  });
});

describe('TO2.DeviceServiceInfoReady (66)', () => {
  it('out of order before 64: 100; FIDO_DOT_66_BAD_ENCRYPTION: 100; FIDO_DOT_66_BAD_ENCODING: 100', async () => {
    const d = await device();
    await d.hello();
    expect(await code(d.raw(MessageType.TO2DeviceServiceInfoReady, Uint8Array.of(0x80)))).toBe(
      ErrorCode.MessageBodyError,
    );
    await d.entry(0);
    await d.prove();
    const sealed = d.readyBody();
    sealed[sealed.length - 3]! ^= 0xff;
    expect(await code(d.ready(sealed))).toBe(ErrorCode.MessageBodyError);
    expect(await code(d.ready(d.tunnel.encrypt(Uint8Array.of(0x82, 0x01))))).toBe(ErrorCode.MessageBodyError);
  });

  it('a null replacement HMAC (credential reuse) is refused with 102 unless the owner allows it', async () => {
    const d = await device();
    await d.hello();
    await d.prove();
    expect(await code(d.ready(d.readyBody(null)))).toBe(ErrorCode.CredReuseError);
  });
});

describe('TO2.DeviceServiceInfoReady (66) and the bundle seen at HelloDevice', () => {
  /** A device with a rendered (empty) bundle, as the render job leaves it before the device comes. */
  async function deviceWithBundle(): Promise<{ d: ManualDevice; deviceId: string }> {
    const provisioned = await provisionDevice(harness.dataSource, { owner });
    await harness.dataSource.query(
      `INSERT INTO config_bundle (device_id, owner_tenant_id, revision, steps, summary, delivery_status, rendered_at)
       VALUES ($1, $2, 1, $3, '[]', 'queued', now())`,
      [provisioned.deviceId, owner.tenant.id, Buffer.from(encodeOwnerProgram({ steps: [] }))],
    );
    return {
      d: new ManualDevice(provisioned.credential, harness.instance.url),
      deviceId: provisioned.deviceId,
    };
  }
  const bundle = async (deviceId: string) =>
    (
      await harness.dataSource.query(
        `SELECT revision, delivery_status FROM config_bundle WHERE device_id = $1`,
        [deviceId],
      )
    )[0] as { revision: number; delivery_status: string };

  it('claims the bundle with the session save; a concurrent duplicate is 100', async () => {
    const { d, deviceId } = await deviceWithBundle();
    await d.hello();
    await d.entry(0);
    await d.prove();
    const body = d.readyBody();
    const results = await Promise.allSettled([d.ready(body), d.ready(body)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((rejected.reason as FdoErrorReply).code).toBe(ErrorCode.MessageBodyError);
    expect(await bundle(deviceId)).toEqual({ revision: 1, delivery_status: 'delivering' });
    for (const [isMore, info] of devmod().map((si, i, all) => [i < all.length - 1, si] as const))
      await d.serviceInfo(isMore, info);
    expect((await d.done()).type).toBe(MessageType.TO2Done2);
    expect(await bundle(deviceId)).toEqual({ revision: 1, delivery_status: 'delivered' });
  });

  it('delivers the current revision when the bundle was rendered again after HelloDevice', async () => {
    const { d, deviceId } = await deviceWithBundle();
    await d.hello();
    await d.entry(0);
    await d.prove();
    await harness.dataSource.query(`UPDATE config_bundle SET revision = 2 WHERE device_id = $1`, [deviceId]);
    await d.ready();
    expect(await bundle(deviceId)).toEqual({ revision: 2, delivery_status: 'delivering' });
    for (const [isMore, info] of devmod().map((si, i, all) => [i < all.length - 1, si] as const))
      await d.serviceInfo(isMore, info);
    expect((await d.done()).type).toBe(MessageType.TO2Done2);
    expect(await bundle(deviceId)).toEqual({ revision: 2, delivery_status: 'delivered' });
  });
});

describe('TO2.DeviceServiceInfo (68)', () => {
  it('FIDO_DOT_68_BAD_ENCRYPTION and _BAD_ENCODING: 100; a module before devmod: 100', async () => {
    const d = await readyDevice();
    const sealed = d.serviceInfoBody(false, devmod()[0]!);
    sealed[sealed.length - 2]! ^= 0xff;
    expect(await code(d.raw(MessageType.TO2DeviceServiceInfo, sealed))).toBe(ErrorCode.MessageBodyError);
    expect(
      await code(d.raw(MessageType.TO2DeviceServiceInfo, d.tunnel.encrypt(Uint8Array.of(0x82, 0xf5)))),
    ).toBe(ErrorCode.MessageBodyError);
    expect(await code(d.serviceInfo(false, [serviceInfoKv('fdo.download', 'done', 0)]))).toBe(
      ErrorCode.MessageBodyError,
    );
    expect(await code(d.serviceInfo(false, devmod()[0]!))).toBe(ErrorCode.MessageBodyError);
  });

  it('FIDO_DOT_68_BAD_COMPLETION_LOGIC: ServiceInfo after IsDone, or Done before it, is 101', async () => {
    const d = await readyDevice();
    expect(await code(d.done())).toBe(ErrorCode.InvalidMessageError);
    const [first, second] = devmod();
    expect(await d.serviceInfo(true, first!)).toEqual({
      isMoreServiceInfo: false,
      isDone: false,
      serviceInfo: [],
    });
    expect(await d.serviceInfo(false, second!)).toEqual({
      isMoreServiceInfo: false,
      isDone: true,
      serviceInfo: [],
    });
    expect(await code(d.serviceInfo(false, []))).toBe(ErrorCode.InvalidMessageError);
  });
});

describe('TO2.Done (70)', () => {
  it('FIDO_DOT_70_BAD_NONCE_PROVE_DV_61: 101; _BAD_ENCRYPTION: 100; a replay after Done2: 100', async () => {
    const d = await readyDevice();
    for (const [isMore, info] of devmod().map((si, i, all) => [i < all.length - 1, si] as const))
      await d.serviceInfo(isMore, info);
    expect(await code(d.done(d.doneBody(new Uint8Array(16))))).toBe(ErrorCode.InvalidMessageError);
    const sealed = d.doneBody();
    sealed[sealed.length - 1]! ^= 0x01;
    expect(await code(d.done(sealed))).toBe(ErrorCode.MessageBodyError);
    const body = d.doneBody();
    expect((await d.done(body)).type).toBe(MessageType.TO2Done2);
    expect(await code(d.done(body))).toBe(ErrorCode.MessageBodyError);
  });

  it('is applied once: of two concurrent Done, one completes and the other is 100; the audit chain holds', async () => {
    const d = await readyDevice();
    for (const [isMore, info] of devmod().map((si, i, all) => [i < all.length - 1, si] as const))
      await d.serviceInfo(isMore, info);
    const body = d.doneBody();
    const results = await Promise.allSettled([d.done(body), d.done(body)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((rejected.reason as FdoErrorReply).code).toBe(ErrorCode.MessageBodyError);
    const events: { event_type: string }[] = await harness.dataSource.query(
      `SELECT event_type FROM audit_event WHERE tenant_id = $1 AND actor = $2 ORDER BY seq`,
      [owner.tenant.id, `device:${d.credential.guid}`],
    );
    expect(events.map((e) => e.event_type)).toEqual(['voucher.replaced', 'device.onboarded']);
    expect(
      await harness.dataSource.transaction((m) => new AuditLog().verifyChain(m, owner.tenant.id)),
    ).toMatchObject({ valid: true });
  });

  it('writes nothing when the voucher changed before Done (500); the same Done then completes', async () => {
    const provisioned = await provisionDevice(harness.dataSource, { owner });
    const d = new ManualDevice(provisioned.credential, harness.instance.url);
    await d.hello();
    await d.entry(0);
    await d.prove();
    await d.ready();
    for (const [isMore, info] of devmod().map((si, i, all) => [i < all.length - 1, si] as const))
      await d.serviceInfo(isMore, info);
    await harness.dataSource.query(`UPDATE voucher SET status = 'deleted' WHERE id = $1`, [
      provisioned.voucherId,
    ]);
    const body = d.doneBody();
    expect(await code(d.done(body))).toBe(ErrorCode.InternalServerError);
    const state = async () =>
      (
        await harness.dataSource.query(
          `SELECT d.lifecycle, (SELECT count(*) FROM audit_event WHERE actor = $2)::int AS events,
                  (SELECT count(*) FROM voucher WHERE device_id = d.id)::int AS vouchers
             FROM device d WHERE d.id = $1`,
          [provisioned.deviceId, `device:${provisioned.guidHex}`],
        )
      )[0] as { lifecycle: string; events: number; vouchers: number };
    expect(await state()).toEqual({ lifecycle: 'owned', events: 0, vouchers: 1 });
    await harness.dataSource.query(`UPDATE voucher SET status = 'active' WHERE id = $1`, [
      provisioned.voucherId,
    ]);
    expect((await d.done(body)).type).toBe(MessageType.TO2Done2);
    expect(await state()).toEqual({ lifecycle: 'onboarded', events: 2, vouchers: 2 });
  });
});
