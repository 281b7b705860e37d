import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { asArray, asBytes, CborError, decode, encode, splitArray, Tagged } from '../cbor';
import { CryptoError } from '../crypto/errors';
import { SigAlg } from '../fdo/constants';
import { captureBytes, captureVoucherBytes, fixtureBytes } from '../fdo/voucher/fixtures.testing';
import { parseVoucher, voucherDevicePublicKey, voucherOwnerKey } from '../fdo/voucher/voucher';
import { decodeSign1, encodeSign1, sign1SigStructure, signSign1, verifySign1, type CoseSign1 } from './sign1';
import { type Signer } from './signer';
import { SoftwareSigner } from './software-signer';

const payload = new TextEncoder().encode('to be signed');
const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve }).privateKey;

let p256: KeyObject;
let p384: KeyObject;
let rsa: KeyObject;

beforeAll(() => {
  p256 = ec('P-256');
  p384 = ec('P-384');
  rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
});

/** A signer that claims `alg` but signs with another key and algorithm: a forged header. */
function lyingSigner(alg: SigAlg, key: KeyObject, realAlg: SigAlg): Signer {
  const real = new SoftwareSigner(key, { alg: realAlg });
  return { alg, publicKey: real.publicKey, sign: (data) => real.sign(data) };
}

describe('COSE_Sign1', () => {
  it.each([
    ['ES256', () => p256, SigAlg.ES256],
    ['ES384', () => p384, SigAlg.ES384],
    ['RS256', () => rsa, SigAlg.RS256],
    ['RS384', () => rsa, SigAlg.RS384],
    ['PS256', () => rsa, SigAlg.PS256],
    ['PS384', () => rsa, SigAlg.PS384],
  ])('signs and verifies %s, and detects tampering', async (_name, key, alg) => {
    const signer = new SoftwareSigner(key(), { alg });
    const signed = await signSign1(signer, payload, { externalAad: Uint8Array.of(1, 2) });
    const decoded = decodeSign1(signed.bytes, { requireTag: true });
    expect(decoded.protectedHeader.get(1)).toBe(alg);
    expect(verifySign1(decoded, signer.publicKey, { externalAad: Uint8Array.of(1, 2) })).toBe(true);
    expect(verifySign1(decoded, signer.publicKey)).toBe(false);
    const otherPayload: CoseSign1 = { ...decoded, payload: new TextEncoder().encode('to be signeD') };
    expect(verifySign1(otherPayload, signer.publicKey, { externalAad: Uint8Array.of(1, 2) })).toBe(false);
    const badSignature = Uint8Array.from(decoded.signature);
    badSignature[5]! ^= 0x01;
    expect(verifySign1({ ...decoded, signature: badSignature }, signer.publicKey)).toBe(false);
  });

  it('refuses an algorithm that does not fit the key', async () => {
    const es384OnP256 = await signSign1(lyingSigner(SigAlg.ES384, p256, SigAlg.ES256), payload);
    expect(() => verifySign1(es384OnP256, createPublicKey(p256))).toThrow(
      expect.objectContaining({ code: 'algorithm-key-mismatch' }),
    );
    const es256 = await signSign1(new SoftwareSigner(p256), payload);
    expect(() => verifySign1(es256, createPublicKey(rsa))).toThrow(CryptoError);
    const rs256 = await signSign1(new SoftwareSigner(rsa), payload);
    expect(() => verifySign1(rs256, createPublicKey(p256))).toThrow(
      /RS256 cannot be used with an EC P-256 key/,
    );
    expect(() => verifySign1(rs256, createPublicKey(rsa), { allowedAlgs: [SigAlg.PS256] })).toThrow(
      /not allowed/,
    );
  });

  it('refuses a message with no or an unknown algorithm', () => {
    const noAlg = encode([new Uint8Array(0), new Map(), payload, new Uint8Array(64)]);
    expect(() => verifySign1(decodeSign1(noAlg), createPublicKey(p256))).toThrow(
      expect.objectContaining({ code: 'malformed-cose' }),
    );
    const unknown = encode([encode(new Map([[1, -8]])), new Map(), payload, new Uint8Array(64)]);
    expect(() => verifySign1(decodeSign1(unknown), createPublicKey(p256))).toThrow(
      expect.objectContaining({ code: 'unsupported-algorithm' }),
    );
  });

  it('keeps a non-canonical protected header byte for byte and verifies over it', async () => {
    // {4: h'01', 1: -7}: keys out of canonical order, as another encoder may emit them.
    const protectedBytes = Uint8Array.of(0xa2, 0x04, 0x41, 0x01, 0x01, 0x26);
    const signature = await new SoftwareSigner(p256).sign(
      sign1SigStructure(protectedBytes, new Uint8Array(0), payload),
    );
    const bytes = encode(
      new Tagged(18, [protectedBytes, new Map([[4, Uint8Array.of(9)]]), payload, signature]),
    );
    const decoded = decodeSign1(bytes);
    expect(decoded.protectedBytes).toEqual(protectedBytes);
    expect(decoded.bytes).toBe(bytes);
    expect(encodeSign1(decoded)).toEqual(bytes);
    expect(verifySign1(decoded, createPublicKey(p256))).toBe(true);
  });

  it('reads tagged and untagged forms and enforces the tag when asked', async () => {
    const signed = await signSign1(new SoftwareSigner(p256), payload, { tagged: false });
    expect(signed.bytes[0]).toBe(0x84);
    expect(decodeSign1(signed.bytes).tagged).toBe(false);
    expect(() => decodeSign1(signed.bytes, { requireTag: true })).toThrow(CborError);
    expect(encodeSign1(signed, { tagged: true })[0]).toBe(0xd2);
    expect(() => decodeSign1(encode(new Tagged(17, [])))).toThrow(CborError);
    expect(() => decodeSign1(encode([new Uint8Array(0), new Map(), payload]))).toThrow(/expected 4 items/);
  });

  it('verifies a detached payload only when it is supplied', async () => {
    const signed = await signSign1(new SoftwareSigner(p384), payload, { detached: true });
    expect(signed.payload).toBeNull();
    expect(verifySign1(signed, createPublicKey(p384), { detachedPayload: payload })).toBe(true);
    expect(() => verifySign1(signed, createPublicKey(p384))).toThrow(
      expect.objectContaining({ code: 'missing-payload' }),
    );
  });
});

describe('COSE_Sign1 from go-fdo captures', () => {
  it('verifies the owner-signed to1d of TO0.OwnerSign with the voucher owner key', () => {
    const [, to1dBytes] = splitArray(captureBytes('to0/005-msg22-req.hex'));
    const voucher = parseVoucher(captureVoucherBytes());
    const to1d = decodeSign1(to1dBytes!, { requireTag: true });
    expect(to1d.protectedHeader.get(1)).toBe(SigAlg.ES384);
    expect(verifySign1(to1d, voucherOwnerKey(voucher).key)).toBe(true);
    expect(verifySign1(to1d, voucher.header.manufacturerKey.key)).toBe(false);
  });

  it('verifies the device EAT of TO1.ProveToRV with the key in the device credential', () => {
    // basic/cred.bin is the credential go-fdo's client kept: [..., HmacSecret, PKCS#8 device key].
    const credential = asArray(decode(fixtureBytes('fdo/go-fdo-captures/basic/cred.bin')), 'credential');
    const deviceKey = createPrivateKey({
      key: Buffer.from(asBytes(credential[7]!, 'key')),
      format: 'der',
      type: 'pkcs8',
    });
    const eat = decodeSign1(captureBytes('basic/004-msg32-req.hex'), { requireTag: true });
    expect(eat.protectedHeader.get(1)).toBe(SigAlg.ES384);
    expect(verifySign1(eat, createPublicKey(deviceKey))).toBe(true);
    expect(verifySign1(eat, createPublicKey(p384))).toBe(false);
  });

  it('verifies the TO1 EAT of the to0 flow with the leaf key of the registered voucher', () => {
    const deviceKey = voucherDevicePublicKey(parseVoucher(captureVoucherBytes()))!;
    for (const capture of ['to0/007-msg32-req.hex', 'to0/009-msg32-req.hex']) {
      expect(verifySign1(decodeSign1(captureBytes(capture)), deviceKey)).toBe(true);
    }
  });
});
