import {
  constants,
  generateKeyPairSync,
  type KeyObject,
  publicEncrypt,
  randomBytes,
  verify,
} from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { SigAlg } from '@ztp/protocol';
import { KeyCustodyError } from '../errors';
import { contains, testClock, testMasterKey } from '../support.testing';
import { InMemorySealedKeyStore } from './in-memory-sealed-key-store';
import { type SealedKeyRecord } from './sealed-key-store';
import { SoftwareKeyCustody } from './software-key-custody';

const message = Buffer.from('to be signed');
const clock = testClock('2026-03-01T12:00:00Z');

function expectCustodyError(code: KeyCustodyError['code']) {
  return expect.objectContaining({ name: 'KeyCustodyError', code });
}

async function rejectsWith(promise: Promise<unknown>, code: KeyCustodyError['code']) {
  await expect(promise).rejects.toBeInstanceOf(KeyCustodyError);
  await expect(promise).rejects.toEqual(expectCustodyError(code));
}

describe('SoftwareKeyCustody', () => {
  let rsa: KeyObject;
  let ec: KeyObject;

  beforeAll(() => {
    rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  });

  function setup(options: { cacheSize?: number } = {}) {
    const store = new InMemorySealedKeyStore();
    const masterKey = testMasterKey(1);
    const custody = new SoftwareKeyCustody({ store, masterKey, now: clock.now, ...options });
    return { store, masterKey, custody };
  }

  it('stores nothing readable: no PKCS#8 DER, no private scalar, no PEM', async () => {
    const { store, custody } = setup();
    await custody.importKey({ keyId: 'ec', privateKey: ec, purpose: 'test' });
    await custody.importKey({ keyId: 'rsa', privateKey: rsa, purpose: 'test' });
    const ecRecord = (await store.get('ec'))!;
    const rsaRecord = (await store.get('rsa'))!;

    const ecJwk = ec.export({ format: 'jwk' });
    const rsaJwk = rsa.export({ format: 'jwk' });
    for (const [record, key, secrets] of [
      [ecRecord, ec, [ecJwk.d!]],
      [rsaRecord, rsa, [rsaJwk.d!, rsaJwk.p!, rsaJwk.q!]],
    ] as const) {
      const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
      expect(contains(record.sealed, pkcs8)).toBe(false);
      expect(contains(record.sealed, pkcs8.subarray(pkcs8.length - 32))).toBe(false);
      for (const secret of secrets)
        expect(contains(record.sealed, Buffer.from(secret, 'base64url'))).toBe(false);
      const serialized = JSON.stringify(record, (_k, v: unknown) =>
        v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v,
      );
      expect(serialized).not.toContain('PRIVATE KEY');
      expect(serialized).not.toContain(pkcs8.toString('latin1'));
      expect(serialized).not.toContain(pkcs8.toString('base64'));
      expect(record.sealed[0]).toBe(0x01);
      expect(record.sealed[1]).toBe(1);
      // 82 bytes of header, nonces and wrapped data key, the encrypted PKCS#8, a 16-byte tag.
      expect(record.sealed.length).toBe(82 + pkcs8.length + 16);
    }
  });

  it('generates each key type and signs in COSE form (P1363 for ECDSA)', async () => {
    const { custody } = setup();
    const p256 = await custody.generateKey({ keyId: 'k256', spec: 'P-256', purpose: 'owner' });
    const p384 = await custody.generateKey({ keyId: 'k384', spec: 'P-384', purpose: 'owner' });
    expect(p256).toMatchObject({ keyId: 'k256', spec: 'P-256', purpose: 'owner', createdAt: clock.now() });
    expect(p384.publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');

    const s256 = await custody.signer('k256');
    expect(s256.alg).toBe(SigAlg.ES256);
    const sig256 = await s256.sign(message);
    expect(sig256.length).toBe(64);
    expect(verify('sha256', message, { key: p256.publicKey, dsaEncoding: 'ieee-p1363' }, sig256)).toBe(true);

    const s384 = await custody.signer('k384');
    const sig384 = await s384.sign(message);
    expect(sig384.length).toBe(96);
    expect(verify('sha384', message, { key: s384.publicKey, dsaEncoding: 'ieee-p1363' }, sig384)).toBe(true);
  });

  it('signs with RSA in PKCS#1 v1.5 by default and PSS on request', async () => {
    const { custody } = setup();
    await custody.importKey({ keyId: 'rsa', privateKey: rsa, purpose: 'owner' });
    const pkcs1 = await custody.signer('rsa');
    expect(pkcs1.alg).toBe(SigAlg.RS256);
    expect(verify('sha256', message, pkcs1.publicKey, await pkcs1.sign(message))).toBe(true);

    const pss = await custody.signer('rsa', SigAlg.PS384);
    const signature = await pss.sign(message);
    const pssKey = { key: pss.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 };
    expect(verify('sha384', message, pssKey, signature)).toBe(true);

    await rejectsWith(custody.signer('rsa', SigAlg.ES256), 'unsupported-algorithm');
  });

  it('decrypts RSA-OAEP with the hash asked for, and refuses what does not open', async () => {
    const { custody } = setup();
    await custody.importKey({ keyId: 'rsa', privateKey: rsa, purpose: 'owner' });
    await custody.importKey({ keyId: 'ec', privateKey: ec, purpose: 'owner' });
    const secret = randomBytes(32);
    const publicKey = await custody.publicKey('rsa');
    const ct256 = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      secret,
    );
    const ct384 = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha384' },
      secret,
    );
    expect(Buffer.from(await custody.decrypt('rsa', ct256, { hash: 'SHA-256' }))).toEqual(secret);
    expect(Buffer.from(await custody.decrypt('rsa', ct384, { hash: 'SHA-384' }))).toEqual(secret);
    await rejectsWith(custody.decrypt('rsa', ct384, { hash: 'SHA-256' }), 'decrypt-failed');
    await rejectsWith(custody.decrypt('ec', ct256, { hash: 'SHA-256' }), 'unsupported-algorithm');
  });

  it('unseals from the store after the cache is gone, under the same master key', async () => {
    const { store, masterKey, custody } = setup();
    await custody.generateKey({ keyId: 'k', spec: 'P-256', purpose: 'p' });
    const fresh = new SoftwareKeyCustody({ store, masterKey, now: clock.now });
    const signer = await fresh.signer('k');
    expect(
      verify(
        'sha256',
        message,
        { key: signer.publicKey, dsaEncoding: 'ieee-p1363' },
        await signer.sign(message),
      ),
    ).toBe(true);
  });

  it('refuses to unseal under a wrong master key, and names the unknown version', async () => {
    const { store, custody } = setup();
    await custody.generateKey({ keyId: 'k', spec: 'P-256', purpose: 'p' });
    const wrongKey = new SoftwareKeyCustody({ store, masterKey: testMasterKey(1), now: clock.now });
    await rejectsWith((await wrongKey.signer('k')).sign(message), 'master-key-mismatch');
    const wrongVersion = new SoftwareKeyCustody({ store, masterKey: testMasterKey(2), now: clock.now });
    await rejectsWith((await wrongVersion.signer('k')).sign(message), 'unknown-master-key-version');
  });

  it('rotates: new keys seal under the new master key, old ones still unseal with the retired key', async () => {
    const { store, masterKey: v1, custody } = setup();
    await custody.generateKey({ keyId: 'old', spec: 'P-256', purpose: 'p' });
    const v2 = testMasterKey(2);
    const rotated = new SoftwareKeyCustody({ store, masterKey: v2, retiredMasterKeys: [v1], now: clock.now });
    await rotated.generateKey({ keyId: 'new', spec: 'P-256', purpose: 'p' });
    expect((await store.get('new'))!.sealed[1]).toBe(2);
    await expect((await rotated.signer('old')).sign(message)).resolves.toHaveLength(64);
    expect(
      () => new SoftwareKeyCustody({ store, masterKey: v2, retiredMasterKeys: [v2], now: clock.now }),
    ).toThrow(expectCustodyError('invalid-master-key'));
  });

  it('detects a tampered sealed body, data key, or metadata', async () => {
    const { masterKey } = setup();
    const store = new InMemorySealedKeyStore();
    await new SoftwareKeyCustody({ store, masterKey, now: clock.now }).importKey({
      keyId: 'k',
      privateKey: ec,
      purpose: 'p',
    });
    const original = (await store.get('k'))!;
    const flip = (bytes: Uint8Array, at: number) => {
      const copy = Uint8Array.from(bytes);
      copy[at]! ^= 0x01;
      return copy;
    };
    const variants: SealedKeyRecord[] = [
      { ...original, sealed: flip(original.sealed, original.sealed.length - 1) },
      { ...original, sealed: flip(original.sealed, 30) },
      { ...original, sealed: original.sealed.subarray(0, 90) },
      { ...original, purpose: 'something else' },
      { ...original, createdAt: new Date(original.createdAt.getTime() + 1) },
    ];
    for (const variant of variants) {
      const tamperedStore = new InMemorySealedKeyStore();
      await tamperedStore.put(variant);
      const custody = new SoftwareKeyCustody({ store: tamperedStore, masterKey, now: clock.now });
      await rejectsWith((await custody.signer('k')).sign(message), 'sealed-record-corrupt');
    }
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      type: 'spki',
      format: 'der',
    });
    const swappedKey = new InMemorySealedKeyStore();
    await swappedKey.put({ ...original, publicKeySpki: other });
    const custody = new SoftwareKeyCustody({ store: swappedKey, masterKey, now: clock.now });
    await rejectsWith((await custody.signer('k')).sign(message), 'sealed-record-corrupt');
  });

  it('destroys keys: signers stop working, the id can be reused', async () => {
    const { custody } = setup();
    await custody.generateKey({ keyId: 'k', spec: 'P-256', purpose: 'p' });
    const signer = await custody.signer('k');
    await custody.destroyKey('k');
    await rejectsWith(signer.sign(message), 'key-not-found');
    await rejectsWith(custody.describeKey('k'), 'key-not-found');
    await rejectsWith(custody.destroyKey('k'), 'key-not-found');
    await expect(custody.generateKey({ keyId: 'k', spec: 'P-256', purpose: 'p' })).resolves.toBeDefined();
  });

  it('refuses duplicate ids, bad ids, unsupported keys and public keys on import', async () => {
    const { custody } = setup();
    await custody.generateKey({ keyId: 'k', spec: 'P-256', purpose: 'p' });
    await rejectsWith(custody.generateKey({ keyId: 'k', spec: 'P-256', purpose: 'p' }), 'key-exists');
    await rejectsWith(custody.importKey({ keyId: 'k', privateKey: ec, purpose: 'p' }), 'key-exists');
    await rejectsWith(custody.generateKey({ keyId: '', spec: 'P-256', purpose: 'p' }), 'invalid-key-id');
    await rejectsWith(custody.generateKey({ keyId: 'a b', spec: 'P-256', purpose: 'p' }), 'invalid-key-id');
    await rejectsWith(custody.generateKey({ keyId: 'x', spec: 'P-256', purpose: '' }), 'invalid-purpose');
    await rejectsWith(
      custody.generateKey({ keyId: 'x', spec: 'P-521' as unknown as 'P-256', purpose: 'p' }),
      'unsupported-key-type',
    );
    const ed = generateKeyPairSync('ed25519');
    await rejectsWith(
      custody.importKey({ keyId: 'ed', privateKey: ed.privateKey, purpose: 'p' }),
      'unsupported-key-type',
    );
    await rejectsWith(
      custody.importKey({ keyId: 'pub', privateKey: ed.publicKey, purpose: 'p' }),
      'unsupported-key-type',
    );
    await rejectsWith(custody.signer('missing'), 'key-not-found');
  });

  it('serves cached keys, and re-reads the store once a key expires from the cache or is evicted', async () => {
    const local = testClock('2026-03-01T12:00:00Z');
    const store = new InMemorySealedKeyStore();
    const custody = new SoftwareKeyCustody({
      store,
      masterKey: testMasterKey(),
      now: local.now,
      cacheSize: 1,
    });
    await custody.importKey({ keyId: 'a', privateKey: ec, purpose: 'p' });
    const signerA = await custody.signer('a');
    const corrupt = async (keyId: string) => {
      const record = (await store.get(keyId))!;
      await store.delete(keyId);
      await store.put({
        ...record,
        sealed: Uint8Array.from(record.sealed, (b, i) => (i === 100 ? b ^ 1 : b)),
      });
    };
    await corrupt('a');
    await expect(signerA.sign(message)).resolves.toHaveLength(64);
    local.advanceDays(1);
    await rejectsWith(signerA.sign(message), 'sealed-record-corrupt');

    await custody.importKey({ keyId: 'b', privateKey: rsa, purpose: 'p' });
    const signerB = await custody.signer('b');
    await corrupt('b');
    await expect(signerB.sign(message)).resolves.toHaveLength(256);
    await custody.generateKey({ keyId: 'c', spec: 'P-256', purpose: 'p' });
    await rejectsWith(signerB.sign(message), 'sealed-record-corrupt');
  });
});
