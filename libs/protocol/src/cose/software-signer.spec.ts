import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { CryptoError } from '../crypto/errors';
import { SigAlg } from '../fdo/constants';
import { createSoftwareSigner } from './software-signer';

let rsa2048: KeyObject;
let rsa3072: KeyObject;
let rsaPss: KeyObject;

beforeAll(() => {
  rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  rsa3072 = generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey;
  rsaPss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).privateKey;
});

const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve }).privateKey;

describe('software signer', () => {
  it('chooses the algorithm from the key', () => {
    expect(createSoftwareSigner(ec('P-256')).alg).toBe(SigAlg.ES256);
    expect(createSoftwareSigner(ec('P-384')).alg).toBe(SigAlg.ES384);
    expect(createSoftwareSigner(rsa2048).alg).toBe(SigAlg.RS256);
    expect(createSoftwareSigner(rsa3072).alg).toBe(SigAlg.RS384);
    expect(createSoftwareSigner(rsa2048, { pss: true }).alg).toBe(SigAlg.PS256);
    expect(createSoftwareSigner(rsa3072, { pss: true }).alg).toBe(SigAlg.PS384);
    expect(createSoftwareSigner(rsaPss).alg).toBe(SigAlg.PS256);
    expect(createSoftwareSigner(rsa2048, { alg: SigAlg.RS384 }).alg).toBe(SigAlg.RS384);
  });

  it('exposes the public half and signs in COSE form', async () => {
    const key = ec('P-384');
    const signer = createSoftwareSigner(key);
    expect(signer.publicKey.type).toBe('public');
    expect((await signer.sign(Uint8Array.of(1))).length).toBe(96);
  });

  it('refuses algorithms that do not fit the key, public keys and unsupported curves', () => {
    expect(() => createSoftwareSigner(ec('P-256'), { alg: SigAlg.ES384 })).toThrow(
      expect.objectContaining({ code: 'algorithm-key-mismatch' }),
    );
    expect(() => createSoftwareSigner(rsaPss, { alg: SigAlg.RS256 })).toThrow(CryptoError);
    expect(() => createSoftwareSigner(ec('P-256'), { alg: SigAlg.RS256 })).toThrow(CryptoError);
    expect(() => createSoftwareSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)).toThrow(
      expect.objectContaining({ code: 'invalid-key' }),
    );
    expect(() => createSoftwareSigner(ec('P-521'))).toThrow(/unsupported EC curve/);
    expect(() => createSoftwareSigner(generateKeyPairSync('ed25519').privateKey)).toThrow(
      /unsupported key type/,
    );
  });
});
