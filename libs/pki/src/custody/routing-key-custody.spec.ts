import { describe, expect, it } from 'vitest';
import { SigAlg, verifyWithAlg } from '@ztp/protocol';
import { testClock, testMasterKey } from '../support.testing';
import { InMemorySealedKeyStore } from './in-memory-sealed-key-store';
import { RoutingKeyCustody } from './routing-key-custody';
import { SoftwareKeyCustody } from './software-key-custody';

const clock = testClock('2026-03-01T12:00:00Z');

function setup() {
  const longStore = new InMemorySealedKeyStore();
  const shortStore = new InMemorySealedKeyStore();
  const longLived = new SoftwareKeyCustody({ store: longStore, masterKey: testMasterKey(), now: clock.now });
  const shortLived = new SoftwareKeyCustody({
    store: shortStore,
    masterKey: testMasterKey(),
    now: clock.now,
  });
  return { longStore, shortStore, custody: new RoutingKeyCustody(longLived, shortLived), shortLived };
}

describe('RoutingKeyCustody', () => {
  it('puts CA, voucher-signing and owner keys in the long-lived custody and Owner2Keys in the short-lived one', async () => {
    const { longStore, shortStore, custody } = setup();
    await custody.generateKey({ keyId: 'ca', spec: 'P-256', purpose: 'manufacturer-root:t1' });
    await custody.generateKey({ keyId: 'owner', spec: 'P-256', purpose: 'owner:t1' });
    await custody.generateKey({ keyId: 'o2', spec: 'P-256', purpose: 'owner2:t1' });
    expect(await longStore.get('ca')).toBeDefined();
    expect(await longStore.get('owner')).toBeDefined();
    expect(await longStore.get('o2')).toBeUndefined();
    expect(await shortStore.get('o2')).toBeDefined();
  });

  it('finds keys by id in either custody (keys made before the switch keep signing) and destroys them there', async () => {
    const { shortStore, custody, shortLived } = setup();
    await shortLived.generateKey({ keyId: 'old-owner', spec: 'P-256', purpose: 'owner:t1' });
    const signer = await custody.signer('old-owner');
    const data = Buffer.from('x');
    expect(verifyWithAlg(SigAlg.ES256, signer.publicKey, data, await signer.sign(data))).toBe(true);
    await custody.destroyKey('old-owner');
    expect(await shortStore.get('old-owner')).toBeUndefined();
    await expect(custody.describeKey('old-owner')).rejects.toMatchObject({ code: 'key-not-found' });
  });
});
