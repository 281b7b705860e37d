import { CipherSuite, type EtmKeySizes, TunnelError } from '@ztp/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualDevice } from '../testing/manual-device';
import { createOwner, provisionDevice, type TestOwner } from '../testing/onboarding-fixtures';
import {
  type OwnerOnboardingHarness,
  startOwnerOnboardingHarness,
} from '../testing/owner-onboarding-harness';

/**
 * The owner learns each device's AES-CBC/CTR key-size convention (EtmKeySizesLedger): the devices
 * here accept only their own sizes, as go-fdo's client does, and give up when 65 does not open.
 */
let harness: OwnerOnboardingHarness;
let specOwner: TestOwner;
let goFdoOwner: TestOwner;

beforeAll(async () => {
  harness = await startOwnerOnboardingHarness();
  specOwner = await createOwner(harness.dataSource, harness.custody);
  goFdoOwner = await createOwner(harness.dataSource, harness.custody, {
    settings: { etmKeySizes: 'go-fdo' },
  });
});

afterAll(async () => {
  await harness?.stop();
});

async function device(
  owner: TestOwner,
  sizes: EtmKeySizes,
  cipher: number = CipherSuite.AES128_CBC_HMAC256,
): Promise<{ deviceId: string; next: () => ManualDevice }> {
  const provisioned = await provisionDevice(harness.dataSource, { owner });
  return {
    deviceId: provisioned.deviceId,
    // One ManualDevice per TO2 attempt: each starts a session of its own at HelloDevice.
    next: () => {
      const d = new ManualDevice(provisioned.credential, harness.instance.url, undefined, cipher);
      d.etmKeySizes = sizes;
      return d;
    },
  };
}

async function learned(deviceId: string): Promise<string | null> {
  const rows: { etm_key_sizes: string | null }[] = await harness.dataSource.query(
    `SELECT etm_key_sizes FROM device WHERE id = $1`,
    [deviceId],
  );
  return rows[0]!.etm_key_sizes;
}

/** One attempt up to SetupDevice: did the device open 65? */
async function attempt(d: ManualDevice): Promise<boolean> {
  await d.hello();
  await d.entry(0);
  try {
    await d.prove();
    return true;
  } catch (err) {
    if (err instanceof TunnelError && err.code === 'authentication-failed') return false;
    throw err;
  }
}

describe('AES-CBC/CTR key sizes, learned per device', () => {
  it('a go-fdo device fails the first attempt, onboards on the next, and keeps its sizes', async () => {
    const { deviceId, next } = await device(specOwner, 'go-fdo');
    expect(await learned(deviceId)).toBeNull();
    // The owner started with the spec's sizes: the device cannot open 65 and gives up.
    expect(await attempt(next())).toBe(false);
    expect(await learned(deviceId)).toBe('go-fdo');
    // Its retry gets go-fdo's sizes; 66 authenticates, so they are kept.
    const retry = next();
    expect(await attempt(retry)).toBe(true);
    await retry.ready();
    expect(await learned(deviceId)).toBe('go-fdo');
    // And used first from then on.
    const again = next();
    expect(await attempt(again)).toBe(true);
    await again.ready();
    expect(await learned(deviceId)).toBe('go-fdo');
  });

  it('a spec device opens 65 at once; a session lost after 65 costs it one attempt, not its sizes for good', async () => {
    const { deviceId, next } = await device(specOwner, 'spec', CipherSuite.AES256_CTR_HMAC384);
    const first = next();
    expect(await attempt(first)).toBe(true);
    // Between 65 and 66 the record already holds the other sizes, in case the device gives up here.
    expect(await learned(deviceId)).toBe('go-fdo');
    await first.ready();
    expect(await learned(deviceId)).toBe('spec');
    // A session that stops after 65 (the device lost its connection, say): the next one tries
    // go-fdo's sizes, which this device cannot open, and the one after that the spec's again.
    expect(await attempt(next())).toBe(true);
    expect(await learned(deviceId)).toBe('go-fdo');
    expect(await attempt(next())).toBe(false);
    expect(await learned(deviceId)).toBe('spec');
    const recovered = next();
    expect(await attempt(recovered)).toBe(true);
    await recovered.ready();
    expect(await learned(deviceId)).toBe('spec');
  });

  it("an owner set to go-fdo's sizes opens with them: a go-fdo device onboards at once, a spec device on its retry", async () => {
    for (const cipher of [CipherSuite.AES128_CTR_HMAC256, CipherSuite.AES256_CBC_HMAC384]) {
      const goFdo = await device(goFdoOwner, 'go-fdo', cipher);
      const d = goFdo.next();
      expect(await attempt(d)).toBe(true);
      await d.ready();
      expect(await learned(goFdo.deviceId)).toBe('go-fdo');

      const spec = await device(goFdoOwner, 'spec', cipher);
      expect(await attempt(spec.next())).toBe(false);
      const retry = spec.next();
      expect(await attempt(retry)).toBe(true);
      await retry.ready();
      expect(await learned(spec.deviceId)).toBe('spec');
    }
  });

  it('AEAD suites derive once and record nothing', async () => {
    const { deviceId, next } = await device(goFdoOwner, 'go-fdo', CipherSuite.A256GCM);
    const d = next();
    expect(await attempt(d)).toBe(true);
    await d.ready();
    expect(await learned(deviceId)).toBeNull();
  });
});
