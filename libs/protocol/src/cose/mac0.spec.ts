import { describe, expect, it } from 'vitest';
import { CborError, decode, encode, Tagged } from '../cbor';
import { CoseMacAlg, createMac0, decodeMac0, mac0ToCbor, Mac0Error, macStructure, verifyMac0 } from './mac0';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const content = new TextEncoder().encode('This is the content.');

/** cose-wg/Examples mac0-tests/HMac-01.json and hmac-examples/HMac-enc-02.json (direct key, no AAD). */
const VECTORS = [
  {
    alg: CoseMacAlg.HMAC_SHA256,
    key: '849B57219DAE48DE646D07DBB533566E976686457C1491BE3A76DCEA6C427188',
    toMac: '84644D41433043A101054054546869732069732074686520636F6E74656E742E',
    cbor: 'D18443A10105A054546869732069732074686520636F6E74656E742E5820A1A848D3471F9D61EE49018D244C824772F223AD4F935293F1789FC3A08D8C58',
  },
  {
    alg: CoseMacAlg.HMAC_SHA384,
    key: '849B57219DAE48DE646D07DBB533566E976686457C1491BE3A76DCEA6C42718800112233778899AA2122232425262728',
    toMac: '84644D41433043A101064054546869732069732074686520636F6E74656E742E',
    cbor: 'D18443A10106A054546869732069732074686520636F6E74656E742E5830998D26C6459AAEECF44ED20CE00C8CCEDF0A1F3D22A92FC05DB08C5AEB1CB594CAAF5A5C5E2E9D01CCE7E77A93AA8C62',
  },
] as const;

function failure(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    return err instanceof Mac0Error ? err.code : err;
  }
  return 'no error';
}

describe('COSE_Mac0', () => {
  it.each(VECTORS)('reproduces the alg $alg example byte for byte, MAC_structure included', (vector) => {
    const key = hex(vector.key);
    const mac0 = createMac0(vector.alg, key, content);
    expect(toHex(macStructure(mac0.protectedBytes, mac0.payload))).toBe(vector.toMac);
    expect(toHex(encode(mac0ToCbor(mac0)))).toBe(vector.cbor);
    expect(() => verifyMac0(vector.alg, key, decodeMac0(decode(hex(vector.cbor))))).not.toThrow();
  });

  const key = new Uint8Array(32).fill(3);
  const mac0 = createMac0(CoseMacAlg.HMAC_SHA256, key, content, Uint8Array.of(9));

  it('binds payload, tag, protected bytes, external AAD and key', () => {
    const flipped = (bytes: Uint8Array) => Uint8Array.from(bytes, (b, i) => (i === 0 ? b ^ 1 : b));
    expect(failure(() => verifyMac0(CoseMacAlg.HMAC_SHA256, key, mac0, Uint8Array.of(9)))).toBe('no error');
    expect(failure(() => verifyMac0(CoseMacAlg.HMAC_SHA256, key, mac0))).toBe('authentication-failed');
    expect(
      failure(() =>
        verifyMac0(
          CoseMacAlg.HMAC_SHA256,
          key,
          { ...mac0, payload: flipped(mac0.payload) },
          Uint8Array.of(9),
        ),
      ),
    ).toBe('authentication-failed');
    expect(
      failure(() =>
        verifyMac0(CoseMacAlg.HMAC_SHA256, key, { ...mac0, tag: flipped(mac0.tag) }, Uint8Array.of(9)),
      ),
    ).toBe('authentication-failed');
    expect(
      failure(() =>
        verifyMac0(CoseMacAlg.HMAC_SHA256, key, { ...mac0, tag: mac0.tag.subarray(1) }, Uint8Array.of(9)),
      ),
    ).toBe('authentication-failed');
    const reserialized = { ...mac0, protectedBytes: Uint8Array.of(0xa1, 0x01, 0x18, 0x05) };
    expect(failure(() => verifyMac0(CoseMacAlg.HMAC_SHA256, key, reserialized, Uint8Array.of(9)))).toBe(
      'authentication-failed',
    );
    expect(
      failure(() => verifyMac0(CoseMacAlg.HMAC_SHA256, new Uint8Array(32), mac0, Uint8Array.of(9))),
    ).toBe('authentication-failed');
  });

  it('refuses a different or unknown algorithm', () => {
    expect(failure(() => verifyMac0(CoseMacAlg.HMAC_SHA384, key, mac0, Uint8Array.of(9)))).toBe(
      'algorithm-mismatch',
    );
    expect(failure(() => createMac0(7 as never, key, content))).toBe('unsupported-algorithm');
    expect(failure(() => verifyMac0(7 as never, key, mac0))).toBe('unsupported-algorithm');
  });

  it('decodes tagged or, when allowed, bare arrays of four well-typed members', () => {
    const body = [Uint8Array.of(0xa1, 0x01, 0x05), new Map(), content, new Uint8Array(32)];
    expect(decodeMac0(new Tagged(17, body)).payload).toEqual(content);
    expect(decodeMac0(body, { requireTag: false }).protectedHeader.get(1)).toBe(5);
    expect(() => decodeMac0(body)).toThrow(CborError);
    expect(() => decodeMac0(new Tagged(16, body))).toThrow(CborError);
    expect(() => decodeMac0(new Tagged(17, body.slice(0, 3)))).toThrow(CborError);
    expect(() => decodeMac0(new Tagged(17, [body[0]!, body[1]!, null, body[3]!]))).toThrow(CborError);
    expect(() => decodeMac0(new Tagged(17, [Uint8Array.of(0x80), body[1]!, body[2]!, body[3]!]))).toThrow(
      CborError,
    );
  });
});
