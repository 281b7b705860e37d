import { describe, expect, it } from 'vitest';
import { CborError, encode } from '../cbor';
import { HashAlg } from '../fdo/constants';
import {
  computeFdoHash,
  computeFdoHmac,
  constantTimeEqual,
  CryptoError,
  decodeFdoHash,
  decodeFdoHmac,
  digestLength,
  fdoDigestToCbor,
  fdoHashMatches,
  fdoHmacMatches,
  hash,
  hmac,
} from './index';

const text = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('hash and hmac', () => {
  it('match the FIPS 180-2 "abc" vectors', () => {
    expect(hex(hash(HashAlg.SHA256, text('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(hex(hash(HashAlg.SHA384, text('abc')))).toBe(
      'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
    );
  });

  it('hashes a list of buffers as their concatenation', () => {
    expect(hash(HashAlg.SHA256, [text('a'), text('b'), text('c')])).toEqual(
      hash(HashAlg.SHA256, text('abc')),
    );
  });

  it('match RFC 4231 test case 2', () => {
    const key = text('Jefe');
    const data = text('what do ya want for nothing?');
    expect(hex(hmac(HashAlg.HMAC_SHA256, key, data))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    expect(hex(hmac(HashAlg.HMAC_SHA384, key, data))).toBe(
      'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649',
    );
  });

  it('refuse algorithms of the other kind', () => {
    expect(() => hash(HashAlg.HMAC_SHA256, text('x'))).toThrow(CryptoError);
    expect(() => hmac(HashAlg.SHA256, text('k'), text('x'))).toThrow(CryptoError);
    expect(() => digestLength(99)).toThrow(/unsupported/);
  });

  it('compare in constant time, unequal lengths included', () => {
    expect(constantTimeEqual(text('abc'), text('abc'))).toBe(true);
    expect(constantTimeEqual(text('abc'), text('abd'))).toBe(false);
    expect(constantTimeEqual(text('abc'), text('ab'))).toBe(false);
  });
});

describe('FDO Hash and HMac structures', () => {
  it('round-trip [alg, bstr] and check the data they cover', () => {
    const digest = computeFdoHash(HashAlg.SHA384, text('header'));
    expect(decodeFdoHash(fdoDigestToCbor(digest))).toEqual(digest);
    expect(encode(fdoDigestToCbor(digest)).subarray(0, 4)).toEqual(Uint8Array.of(0x82, 0x38, 0x2a, 0x58));
    expect(fdoHashMatches(digest, text('header'))).toBe(true);
    expect(fdoHashMatches(digest, text('header!'))).toBe(false);

    const mac = computeFdoHmac(HashAlg.HMAC_SHA256, text('secret'), text('header'));
    expect(decodeFdoHmac(fdoDigestToCbor(mac))).toEqual(mac);
    expect(fdoHmacMatches(mac, text('secret'), text('header'))).toBe(true);
    expect(fdoHmacMatches(mac, text('other'), text('header'))).toBe(false);
  });

  it.each([
    ['a length that does not fit the algorithm', [HashAlg.SHA256, new Uint8Array(48)]],
    ['an HMAC id where a hash is expected', [HashAlg.HMAC_SHA256, new Uint8Array(32)]],
    ['a missing value', [HashAlg.SHA256]],
    ['a text value', [HashAlg.SHA256, 'x'.repeat(32)]],
  ])('refuse %s with a CborError', (_name, value) => {
    expect(() => decodeFdoHash(value as never)).toThrow(CborError);
  });

  it('refuse a hash id where an HMAC is expected', () => {
    expect(() => decodeFdoHmac([HashAlg.SHA256, new Uint8Array(32)])).toThrow(CborError);
  });
});
