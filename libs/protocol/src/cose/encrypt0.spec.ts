import { describe, expect, it } from 'vitest';
import { CborError, decode, encode, Tagged } from '../cbor';
import { captureBytes } from '../fdo/voucher/fixtures.testing';
import {
  CoseAeadAlg,
  decodeEncrypt0,
  encrypt0Alg,
  encrypt0FromParts,
  encrypt0Iv,
  encrypt0ToCbor,
  Encrypt0Error,
  encStructure,
  openEncrypt0,
  sealEncrypt0,
} from './encrypt0';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const content = new TextEncoder().encode('This is the content.');

/**
 * cose-wg/Examples aes-gcm-examples/aes-gcm-enc-01..03 (current revision: Enc_structure context
 * "Encrypt0"; early revisions used "Encrypt1"): direct key, IV 02D1F7E6F26C43D4868D87CE.
 */
const GCM_VECTORS = [
  {
    alg: CoseAeadAlg.A128GCM,
    key: '849B57219DAE48DE646D07DBB533566E',
    aad: '8368456E63727970743043A1010140',
    cbor: 'D08343A10101A1054C02D1F7E6F26C43D4868D87CE582460973A94BB2898009EE52ECFD9AB1DD25867374B162E2C03568B41F57C3CC16F9166250A',
  },
  {
    alg: CoseAeadAlg.A192GCM,
    key: '0F1E2D3C4B5A69788796A5B4C3D2E1F01F2E3D4C5B6A7988',
    aad: '8368456E63727970743043A1010240',
    cbor: 'D08343A10102A1054C02D1F7E6F26C43D4868D87CE5824134D3B9223A00C1552C77585C157F467F295919D530FBE21F7689AB3CD4D18FFE8E17CEB',
  },
  {
    alg: CoseAeadAlg.A256GCM,
    key: '0F1E2D3C4B5A69788796A5B4C3D2E1F01F2E3D4C5B6A798897A6B5C4D3E2F100',
    aad: '8368456E63727970743043A1010340',
    cbor: 'D08343A10103A1054C02D1F7E6F26C43D4868D87CE58249D64A5A59A3B04867DCCF6B8EF82F7D1A3B25EF84ECA2BC5D7593A96E943859A9CC24AD3',
  },
] as const;

describe('COSE_Encrypt0 known answers (cose-wg/Examples)', () => {
  it.each(GCM_VECTORS)('reproduces the alg $alg example byte for byte, Enc_structure included', (vector) => {
    const key = hex(vector.key);
    const sealed = sealEncrypt0(vector.alg, key, content, hex('02D1F7E6F26C43D4868D87CE'));
    expect(toHex(encStructure(sealed.protectedBytes))).toBe(vector.aad);
    expect(toHex(encode(encrypt0ToCbor(sealed)))).toBe(vector.cbor);
    expect(openEncrypt0(vector.alg, key, decodeEncrypt0(decode(hex(vector.cbor))))).toEqual(content);
  });

  it('matches aes-ccm-examples/aes-ccm-enc-08 (AES-CCM-64-128-256, 7-byte nonce) in the CTR part', () => {
    // The published tag covers the early "Encrypt1" context, so only the encrypted bytes compare;
    // they depend on key, nonce and the L = 8 length field, not on the AAD.
    const key = hex('0F1E2D3C4B5A69788796A5B4C3D2E1F01F2E3D4C5B6A798897A6B5C4D3E2F100');
    const sealed = sealEncrypt0(CoseAeadAlg.AES_CCM_64_128_256, key, content, hex('89F52F65A1C580'));
    expect(toHex(sealed.ciphertext.subarray(0, content.length))).toBe(
      '721908D60812806F2660054238E931ADB575771E',
    );
    expect(toHex(sealed.protectedBytes)).toBe('A1011821');
  });
});

describe('COSE_Encrypt0 round trips and failures', () => {
  const cases = [
    [CoseAeadAlg.A128GCM, 16, 12],
    [CoseAeadAlg.A192GCM, 24, 12],
    [CoseAeadAlg.A256GCM, 32, 12],
    [CoseAeadAlg.AES_CCM_16_128_128, 16, 13],
    [CoseAeadAlg.AES_CCM_16_128_256, 32, 13],
    [CoseAeadAlg.AES_CCM_64_128_128, 16, 7],
    [CoseAeadAlg.AES_CCM_64_128_256, 32, 7],
  ] as const;

  it.each(cases)(
    'alg %i: seals with a %i-byte key and %i-byte IV, opens, binds external AAD',
    (alg, keyLength, ivLength) => {
      const key = new Uint8Array(keyLength).fill(7);
      const iv = new Uint8Array(ivLength).fill(9);
      const aad = Uint8Array.of(1, 2, 3);
      const sealed = sealEncrypt0(alg, key, content, iv, aad);
      expect(sealed.ciphertext.length).toBe(content.length + 16);
      expect(encrypt0Iv(sealed, ivLength)).toEqual(iv);
      expect(openEncrypt0(alg, key, sealed, aad)).toEqual(content);
      expect(() => openEncrypt0(alg, key, sealed)).toThrow(Encrypt0Error);
    },
  );

  const key = new Uint8Array(16).fill(1);
  const iv = new Uint8Array(12).fill(2);
  const sealed = sealEncrypt0(CoseAeadAlg.A128GCM, key, content, iv);
  const failure = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return err instanceof Encrypt0Error ? err.code : err;
    }
    return 'no error';
  };

  it('detects a flipped ciphertext bit, a flipped tag bit, a changed IV and a wrong key', () => {
    const flip = (bytes: Uint8Array, at: number) => {
      const copy = bytes.slice();
      copy[at]! ^= 1;
      return copy;
    };
    const tamperedBody = { ...sealed, ciphertext: flip(sealed.ciphertext, 0) };
    const tamperedTag = { ...sealed, ciphertext: flip(sealed.ciphertext, sealed.ciphertext.length - 1) };
    const tamperedIv = { ...sealed, unprotectedHeader: new Map([[5, flip(iv, 3)]]) };
    expect(failure(() => openEncrypt0(CoseAeadAlg.A128GCM, key, tamperedBody))).toBe('authentication-failed');
    expect(failure(() => openEncrypt0(CoseAeadAlg.A128GCM, key, tamperedTag))).toBe('authentication-failed');
    expect(failure(() => openEncrypt0(CoseAeadAlg.A128GCM, key, tamperedIv))).toBe('authentication-failed');
    expect(failure(() => openEncrypt0(CoseAeadAlg.A128GCM, new Uint8Array(16), sealed))).toBe(
      'authentication-failed',
    );
    const truncated = { ...sealed, ciphertext: sealed.ciphertext.subarray(0, 15) };
    expect(failure(() => openEncrypt0(CoseAeadAlg.A128GCM, key, truncated))).toBe('authentication-failed');
  });

  it('authenticates the protected header bytes as carried', () => {
    // Same map {1: 1}, different (non-canonical) serialization: must not verify.
    const reserialized = { ...sealed, protectedBytes: Uint8Array.of(0xa1, 0x01, 0x18, 0x01) };
    expect(failure(() => openEncrypt0(CoseAeadAlg.A128GCM, key, reserialized))).toBe('authentication-failed');
  });

  it('refuses a different algorithm, a missing or short IV, and bad key or IV lengths when sealing', () => {
    expect(failure(() => openEncrypt0(CoseAeadAlg.A256GCM, new Uint8Array(32), sealed))).toBe(
      'algorithm-mismatch',
    );
    const noIv = encrypt0FromParts(sealed.protectedHeader, new Map(), sealed.ciphertext);
    expect(failure(() => openEncrypt0(CoseAeadAlg.A128GCM, key, noIv))).toBe('invalid-iv');
    const shortIv = encrypt0FromParts(
      sealed.protectedHeader,
      new Map([[5, iv.subarray(1)]]),
      sealed.ciphertext,
    );
    expect(failure(() => openEncrypt0(CoseAeadAlg.A128GCM, key, shortIv))).toBe('invalid-iv');
    expect(failure(() => sealEncrypt0(CoseAeadAlg.A128GCM, new Uint8Array(32), content, iv))).toBe(
      'invalid-key',
    );
    expect(failure(() => sealEncrypt0(CoseAeadAlg.A128GCM, key, content, new Uint8Array(16)))).toBe(
      'invalid-iv',
    );
    expect(failure(() => sealEncrypt0(99 as never, key, content, iv))).toBe('unsupported-algorithm');
  });

  it('refuses plaintexts longer than the 2-byte CCM length field', () => {
    const big = new Uint8Array(0x10000);
    const ccmKey = new Uint8Array(16);
    expect(failure(() => sealEncrypt0(CoseAeadAlg.AES_CCM_16_128_128, ccmKey, big, new Uint8Array(13)))).toBe(
      'too-large',
    );
    expect(
      sealEncrypt0(CoseAeadAlg.AES_CCM_64_128_128, ccmKey, big, new Uint8Array(7)).ciphertext.length,
    ).toBe(0x10000 + 16);
  });
});

describe('decodeEncrypt0', () => {
  it('requires tag 16 unless told otherwise, and three well-typed members', () => {
    const body = [Uint8Array.of(0xa1, 0x01, 0x01), new Map([[5, new Uint8Array(12)]]), new Uint8Array(20)];
    expect(decodeEncrypt0(new Tagged(16, body)).ciphertext.length).toBe(20);
    expect(() => decodeEncrypt0(body)).toThrow(CborError);
    expect(decodeEncrypt0(body, { requireTag: false }).protectedHeader.get(1)).toBe(1);
    expect(() => decodeEncrypt0(new Tagged(17, body))).toThrow(CborError);
    expect(() => decodeEncrypt0(new Tagged(16, body.slice(0, 2)))).toThrow(CborError);
    expect(() => decodeEncrypt0(new Tagged(16, [body[0]!, body[1]!, null]))).toThrow(CborError);
    expect(() => decodeEncrypt0(new Tagged(16, [Uint8Array.of(0x01), body[1]!, body[2]!]))).toThrow(
      CborError,
    );
    expect(
      decodeEncrypt0(new Tagged(16, [new Uint8Array(0), new Map(), new Uint8Array(0)])).protectedHeader.size,
    ).toBe(0);
  });

  it("parses go-fdo's TO2.SetupDevice (basic capture, msg 65) as 16([h'A10101', {5: 12-byte IV}, ...])", () => {
    const bytes = captureBytes('basic/007-msg64-resp65.hex');
    const encrypt0 = decodeEncrypt0(decode(bytes));
    expect(toHex(encrypt0.protectedBytes)).toBe('A10101');
    expect(encrypt0Alg(encrypt0)).toBe(CoseAeadAlg.A128GCM);
    expect([...encrypt0.unprotectedHeader.keys()]).toEqual([5]);
    expect(encrypt0Iv(encrypt0, 12).length).toBe(12);
    expect(toHex(encode(encrypt0ToCbor(encrypt0)))).toBe(toHex(bytes));
  });
});
