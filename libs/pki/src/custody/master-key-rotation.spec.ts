import { describe, expect, it } from 'vitest';
import { SigAlg, verifyWithAlg } from '@ztp/protocol';
import { testClock, testMasterKey } from '../support.testing';
import { InMemorySealedKeyStore } from './in-memory-sealed-key-store';
import { SoftwareKeyCustody } from './software-key-custody';

const clock = testClock('2026-03-01T12:00:00Z');
const data = Buffer.from('signed after rotation');

describe('master-key rotation in SoftwareKeyCustody', () => {
  it('seals new keys under the newest version, re-seals old ones, then lets the old version go', async () => {
    const store = new InMemorySealedKeyStore();
    const v1 = testMasterKey(1);
    const v2 = testMasterKey(2);
    const before = new SoftwareKeyCustody({ store, masterKey: v1, now: clock.now });
    await before.generateKey({ keyId: 'ca', spec: 'P-256', purpose: 'root-ca' });
    await before.generateKey({ keyId: 'owner', spec: 'RSA-2048', purpose: 'owner:t1' });
    const caSealedV1 = (await store.get('ca'))!.sealed;
    expect(caSealedV1[1]).toBe(1);

    const rotating = new SoftwareKeyCustody({
      store,
      masterKey: v2,
      retiredMasterKeys: [v1],
      now: clock.now,
      cacheSize: 0,
    });
    await rotating.generateKey({ keyId: 'new', spec: 'P-256', purpose: 'owner:t2' });
    expect((await store.get('new'))!.sealed[1]).toBe(2);
    await expect(rotating.assertMasterKeyRetirable(1)).rejects.toMatchObject({ code: 'master-key-in-use' });
    await expect(rotating.assertMasterKeyRetirable(2)).rejects.toMatchObject({ code: 'master-key-in-use' });

    expect(await rotating.resealAll()).toEqual({ resealed: 2 });
    expect((await store.get('ca'))!.sealed[1]).toBe(2);
    expect((await store.get('owner'))!.sealed[1]).toBe(2);
    expect(Buffer.from((await store.get('ca'))!.sealed).equals(Buffer.from(caSealedV1))).toBe(false);
    await rotating.assertMasterKeyRetirable(1);
    expect(await rotating.resealAll()).toEqual({ resealed: 0 });

    // Version 1 dropped from configuration: every key still signs under version 2 alone...
    const after = new SoftwareKeyCustody({ store, masterKey: v2, now: clock.now, cacheSize: 0 });
    for (const [keyId, alg] of [
      ['ca', SigAlg.ES256],
      ['owner', SigAlg.RS256],
      ['new', SigAlg.ES256],
    ] as const) {
      const signer = await after.signer(keyId);
      expect(verifyWithAlg(alg, signer.publicKey, data, await signer.sign(data))).toBe(true);
    }
    // ...and a custody that only knows the retired version is refused.
    const stale = new SoftwareKeyCustody({ store, masterKey: v1, now: clock.now, cacheSize: 0 });
    await expect((await stale.signer('ca')).sign(data)).rejects.toMatchObject({
      code: 'unknown-master-key-version',
    });
  });

  it('does not overwrite a record that changed while it was being re-sealed', async () => {
    const store = new InMemorySealedKeyStore();
    const v1 = testMasterKey(1);
    await new SoftwareKeyCustody({ store, masterKey: v1, now: clock.now }).generateKey({
      keyId: 'k',
      spec: 'P-256',
      purpose: 'root-ca',
    });
    const original = (await store.get('k'))!.sealed;
    expect(await store.replaceSealed('k', Buffer.from('not the stored bytes'), Buffer.from('x'))).toBe(false);
    expect(Buffer.from((await store.get('k'))!.sealed).equals(Buffer.from(original))).toBe(true);
  });
});
