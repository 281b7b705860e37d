import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testClock, testMasterKey } from '../support.testing';
import { InMemorySealedKeyStore } from './in-memory-sealed-key-store';
import { migrateKeyToToken } from './key-migration';
import { SoftwareKeyCustody } from './software-key-custody';

const clock = testClock('2026-03-01T12:00:00Z');

/** The token played by a second software custody: what is checked here is the order of the steps. */
function custodies() {
  const softwareStore = new InMemorySealedKeyStore();
  const software = new SoftwareKeyCustody({
    store: softwareStore,
    masterKey: testMasterKey(1),
    now: clock.now,
  });
  const token = new SoftwareKeyCustody({
    store: new InMemorySealedKeyStore(),
    masterKey: testMasterKey(2),
    now: clock.now,
  });
  const retired: { keyId: string; sealed: Uint8Array }[] = [];
  const retire = async ({ info, sealed }: { info: { keyId: string }; sealed: Uint8Array }) => {
    retired.push({ keyId: info.keyId, sealed });
    await softwareStore.delete(info.keyId);
  };
  return { software, softwareStore, token, retired, retire };
}

describe('migrateKeyToToken', () => {
  it('imports the same key, checks it signs, then retires the software copy it read', async () => {
    const { software, softwareStore, token, retired, retire } = custodies();
    const info = await software.generateKey({ keyId: 'ca', spec: 'P-384', purpose: 'owner-ca:t1' });
    const sealed = (await softwareStore.get('ca'))!.sealed;
    const moved = await migrateKeyToToken({ software, token, keyId: 'ca', retire });
    expect(moved).toMatchObject({
      keyId: 'ca',
      purpose: 'owner-ca:t1',
      spec: 'P-384',
      alreadyInToken: false,
    });
    expect(retired).toEqual([{ keyId: 'ca', sealed }]);
    expect(Buffer.from((await token.describeKey('ca')).publicKeySpki)).toEqual(
      Buffer.from(info.publicKeySpki),
    );
    await expect(software.describeKey('ca')).rejects.toMatchObject({ code: 'key-not-found' });
    await expect(migrateKeyToToken({ software, token, keyId: 'ca', retire })).rejects.toMatchObject({
      code: 'key-exists',
      message: 'ca is in the token already',
    });
  });

  it('finishes a run that stopped after the import (the token holds the same key)', async () => {
    const { software, token, retired, retire } = custodies();
    const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    await software.importKey({ keyId: 'k', privateKey, purpose: 'owner:t1' });
    await token.importKey({ keyId: 'k', privateKey, purpose: 'owner:t1' });
    expect(await migrateKeyToToken({ software, token, keyId: 'k', retire })).toMatchObject({
      alreadyInToken: true,
    });
    expect(retired.map((r) => r.keyId)).toEqual(['k']);
  });

  it('leaves the software key alone when the token has another key under its id, or it is an Owner2Key', async () => {
    const { software, token, retired, retire } = custodies();
    await software.generateKey({ keyId: 'k', spec: 'P-256', purpose: 'owner:t1' });
    await token.generateKey({ keyId: 'k', spec: 'P-256', purpose: 'owner:t1' });
    await expect(migrateKeyToToken({ software, token, keyId: 'k', retire })).rejects.toMatchObject({
      code: 'key-exists',
      message: expect.stringMatching(/different key/),
    });
    await software.generateKey({ keyId: 'o2', spec: 'P-256', purpose: 'owner2:t1' });
    await expect(migrateKeyToToken({ software, token, keyId: 'o2', retire })).rejects.toMatchObject({
      code: 'invalid-purpose',
    });
    await expect(token.describeKey('o2')).rejects.toMatchObject({ code: 'key-not-found' });
    expect(retired).toEqual([]);
    expect((await software.describeKey('k')).purpose).toBe('owner:t1');
  });
});
