import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FdoHttpSession, runTo0, runTo1 } from '@ztp/fdo-client';
import { buildRvTo2Addr, createSoftwareSigner, ErrorCode } from '@ztp/protocol';
import {
  newDeviceCa,
  newTestDevice,
  ownedVoucher,
  p256Key,
} from '../../apps/rendezvous/src/testing/test-vouchers';
import { spkiSha256 } from '../../apps/rendezvous/src/to0/to0.service';
import { send, Target } from './harness';

const REAL_OWNER = buildRvTo2Addr({ dns: 'owner.example.com', port: 8042, protocol: 'https' });
const ATTACKER = buildRvTo2Addr({ dns: 'attacker.example.net', port: 8042, protocol: 'https' });

/**
 * Rendezvous redirection with a forged voucher (issue #13.2), against npm start: the rendezvous
 * trusts a device CA; the attacker takes the victim's device certificate chain (public: it is in
 * every copy of the voucher) and builds a voucher around it with its own manufacturer and owner
 * keys. TO0 must refuse it, and the real device's TO1 must still lead to the real owner.
 */
describe('forged voucher at TO0 under the trusted-device-CA policy', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-adversarial-forged-'));
  let target: Target;

  beforeAll(async () => {
    target = await Target.start(dataDir);
  });
  afterAll(async () => {
    await target?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("refuses the attacker's voucher around the victim's real chain; the device is still sent to its owner", async () => {
    const ca = await newDeviceCa();
    const manufacturer = p256Key();
    const owner = p256Key();
    const attacker = p256Key();
    const device = await newTestDevice(ca);
    const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(ca.certificate).toString('base64')}\n-----END CERTIFICATE-----\n`;
    const entry = await send(
      `${target.urls.rendezvous}/v1/rendezvous/policy/entries`,
      'POST',
      { Authorization: `Bearer ${target.operatorKey}`, 'Content-Type': 'application/json' },
      JSON.stringify({ kind: 'device-ca', pem, manufacturerKeys: [spkiSha256(manufacturer)] }),
    );
    expect(entry.status).toBe(201);
    const register = async (
      manufacturerKey: typeof owner,
      ownerKey: typeof owner,
      address: typeof REAL_OWNER,
    ) =>
      runTo0(new FdoHttpSession({ baseUrl: target.urls.rendezvous }), {
        voucher: await ownedVoucher(device, manufacturerKey, [ownerKey]),
        ownerSigner: createSoftwareSigner(ownerKey),
        to2Addresses: [address],
        waitSeconds: 3600,
      });
    expect((await register(manufacturer, owner, REAL_OWNER)).waitSeconds).toBeGreaterThan(0);
    await expect(register(attacker, attacker, ATTACKER)).rejects.toMatchObject({
      code: ErrorCode.InvalidOwnershipVoucher,
    });
    const redirect = await runTo1(new FdoHttpSession({ baseUrl: target.urls.rendezvous }), {
      guid: device.guid,
      signer: device.signer,
    });
    expect(redirect.to2Addresses).toEqual([REAL_OWNER]);
    expect(await target.alive()).toBe(true);
    expect(target.errorLines()).toEqual([]);
  });
});
