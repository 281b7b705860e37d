import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { CborError, decode, encode, RawCbor } from '../cbor';
import { CryptoError } from '../crypto/errors';
import { HashAlg, PkEnc, PkType, SigAlg } from './constants';
import {
  decodePublicKey,
  encodePublicKey,
  keyFitsPkType,
  pkTypeForKey,
  publicKeyFromCbor,
  publicKeyHash,
  samePublicKey,
  sigAlgsForPkType,
} from './public-key';
import { fixtureBytes, fixtureText } from './voucher/fixtures.testing';
import { voucherFromPem, voucherDeviceCertificates } from './voucher';

const publicOf = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve }).publicKey;

let rsa2048: KeyObject;

beforeAll(() => {
  rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
});

describe('FDO PublicKey', () => {
  it.each([
    ['X509 P-256', 'P-256', PkEnc.X509, PkType.SECP256R1],
    ['X509 P-384', 'P-384', PkEnc.X509, PkType.SECP384R1],
    ['COSEKEY P-256', 'P-256', PkEnc.COSEKEY, PkType.SECP256R1],
    ['COSEKEY P-384', 'P-384', PkEnc.COSEKEY, PkType.SECP384R1],
  ] as const)('round-trips %s keeping the exact bytes', (_name, curve, encoding, type) => {
    const key = publicOf(curve);
    const encoded = encodePublicKey(key, { encoding });
    expect(encoded.type).toBe(type);
    expect(encoded.encoding).toBe(encoding);
    const decoded = decodePublicKey(encoded.bytes);
    expect(decoded.bytes).toBe(encoded.bytes);
    expect(decoded.key.equals(key)).toBe(true);
    expect(samePublicKey(decoded, key)).toBe(true);
    expect(samePublicKey(decoded, publicOf(curve))).toBe(false);
  });

  it('writes COSE_Key EC2 as {1: 2, -1: crv, -2: x, -3: y} with full-length coordinates', () => {
    const encoded = encodePublicKey(publicOf('P-384'), { encoding: PkEnc.COSEKEY });
    const [, , body] = decode(encoded.bytes) as [number, number, Map<number, unknown>];
    expect([...body.keys()]).toEqual([1, -1, -2, -3]);
    expect(body.get(1)).toBe(2);
    expect(body.get(-1)).toBe(2);
    expect((body.get(-2) as Uint8Array).length).toBe(48);
  });

  it('reads COSE_Key coordinates with their leading zeros stripped (go-fdo writes big.Int bytes)', () => {
    let key: KeyObject;
    let x: Buffer;
    do {
      key = publicOf('P-256');
      x = Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url');
    } while (x[0] !== 0);
    const y = Buffer.from(key.export({ format: 'jwk' }).y!, 'base64url');
    const body = new Map<number, unknown>([
      [1, 2],
      [-1, 1],
      [-2, new Uint8Array(x.subarray(1))],
      [-3, new Uint8Array(y)],
    ]);
    expect(decodePublicKey(encode([PkType.SECP256R1, PkEnc.COSEKEY, body as never])).key.equals(key)).toBe(
      true,
    );
  });

  it('round-trips RSA keys as X509 and COSE_Key (kty 3, n, e)', () => {
    for (const encoding of [PkEnc.X509, PkEnc.COSEKEY] as const) {
      const encoded = encodePublicKey(rsa2048, { encoding });
      expect(encoded.type).toBe(PkType.RSAPKCS);
      expect(decodePublicKey(encoded.bytes).key.equals(rsa2048)).toBe(true);
    }
    const body = (decode(encodePublicKey(rsa2048, { encoding: PkEnc.COSEKEY }).bytes) as unknown[])[2] as Map<
      number,
      Uint8Array
    >;
    expect(body.get(1)).toBe(3);
    expect(body.get(-2)).toEqual(Uint8Array.of(1, 0, 1));
  });

  it('encodes a certificate chain as X5CHAIN whose key is the leaf', () => {
    const chain = voucherDeviceCertificates(voucherFromPem(fixtureText('fdo/go-fdo/ov.pem')))!;
    const encoded = encodePublicKey(chain);
    expect(encoded.encoding).toBe(PkEnc.X5CHAIN);
    expect(encoded.type).toBe(PkType.SECP256R1);
    const decoded = decodePublicKey(encoded.bytes);
    expect(decoded.chain!.map((c) => c.subject)).toEqual(['CN=go.fdo.example', 'CN=dev.ca.fdo']);
    expect(decoded.key.equals(chain[0]!.publicKey)).toBe(true);
    const lone = publicKeyFromCbor([PkType.SECP256R1, PkEnc.X5CHAIN, new Uint8Array(chain[0]!.raw)]);
    expect(lone.key.equals(chain[0]!.publicKey)).toBe(true);
  });

  it('hashes the exact bytes: the manufacturer key hash go-fdo stored in its device credential', () => {
    const voucher = voucherFromPem(fixtureText('fdo/go-fdo/ov.pem'));
    const credential = decode(fixtureBytes('fdo/go-fdo/dc.bin')) as unknown[];
    const [alg, value] = credential[5] as [number, Uint8Array];
    expect(alg).toBe(HashAlg.SHA384);
    expect(publicKeyHash(voucher.header.manufacturerKey, alg).value).toEqual(value);
  });

  it('keeps the bytes it was given when decoding from a value', () => {
    const encoded = encodePublicKey(publicOf('P-256'));
    const raw = new RawCbor(encoded.bytes);
    expect(publicKeyFromCbor(raw.decode(), encoded.bytes).bytes).toBe(encoded.bytes);
  });

  it.each([
    [
      'a P-384 key claimed as SECP256R1',
      () => [PkType.SECP256R1, PkEnc.X509, spki(publicOf('P-384'))],
      CryptoError,
    ],
    [
      'an EC key claimed as RSAPKCS',
      () => [PkType.RSAPKCS, PkEnc.X509, spki(publicOf('P-256'))],
      CryptoError,
    ],
    ['an unknown pkType', () => [7, PkEnc.X509, spki(publicOf('P-256'))], CryptoError],
    ['EPID (Crypto) encoding', () => [PkType.SECP256R1, PkEnc.Crypto, new Uint8Array(4)], CryptoError],
    [
      'an undecodable SPKI',
      () => [PkType.SECP256R1, PkEnc.X509, Uint8Array.of(0x30, 0x03, 1, 2, 3)],
      CryptoError,
    ],
    [
      'an undecodable certificate',
      () => [PkType.SECP256R1, PkEnc.X5CHAIN, [Uint8Array.of(0x30, 0)]],
      CryptoError,
    ],
    ['an empty X5CHAIN', () => [PkType.SECP256R1, PkEnc.X5CHAIN, []], CryptoError],
    [
      'a COSE_Key without y',
      () => [
        PkType.SECP256R1,
        PkEnc.COSEKEY,
        new Map<number, unknown>([
          [1, 2],
          [-1, 1],
          [-2, new Uint8Array(32)],
        ]),
      ],
      CborError,
    ],
    [
      'a COSE_Key point off the curve',
      () => [
        PkType.SECP256R1,
        PkEnc.COSEKEY,
        new Map<number, unknown>([
          [1, 2],
          [-1, 1],
          [-2, new Uint8Array(32)],
          [-3, new Uint8Array(32)],
        ]),
      ],
      CryptoError,
    ],
    ['a COSE_Key of kty OKP', () => [PkType.SECP256R1, PkEnc.COSEKEY, new Map([[1, 1]])], CryptoError],
    ['two items', () => [PkType.SECP256R1, PkEnc.X509], CborError],
  ])('refuses %s with a typed error', (_name, value, type) => {
    expect(() => publicKeyFromCbor(value() as never)).toThrow(type);
  });

  it('infers pkType from the key and maps pkType to signature algorithms', () => {
    expect(pkTypeForKey(publicOf('P-256'))).toBe(PkType.SECP256R1);
    expect(pkTypeForKey(publicOf('P-384'))).toBe(PkType.SECP384R1);
    expect(pkTypeForKey(rsa2048)).toBe(PkType.RSAPKCS);
    expect(pkTypeForKey(rsa2048, { rsa: 'RSA2048RESTR' })).toBe(PkType.RSA2048RESTR);
    expect(pkTypeForKey(rsa2048, { rsa: 'RSAPSS' })).toBe(PkType.RSAPSS);
    expect(keyFitsPkType(PkType.RSA2048RESTR, rsa2048)).toBe(true);
    expect(keyFitsPkType(PkType.SECP384R1, publicOf('P-256'))).toBe(false);
    expect(sigAlgsForPkType(PkType.SECP256R1)).toEqual([SigAlg.ES256]);
    expect(sigAlgsForPkType(PkType.RSAPSS)).toEqual([SigAlg.PS256, SigAlg.PS384]);
    expect(sigAlgsForPkType(99)).toEqual([]);
  });
});

function spki(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ format: 'der', type: 'spki' }));
}
