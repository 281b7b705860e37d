import { asArray, asBytes, asInt, CborError, type CborValue } from '../cbor';
import { constantTimeEqual } from './constant-time';
import { digestLength, hash, hmac, isHashAlg, isHmacAlg, type DigestInput } from './hash';

/**
 * The FDO `Hash` and `HMac` structures, both `[alg, bstr]` on the wire. `alg` is an FDO hash id
 * (-16, -43) for Hash and an HMAC id (5, 6) for HMac.
 */
export interface FdoDigest {
  readonly alg: number;
  readonly value: Uint8Array;
}

function decodeDigest(value: CborValue, what: string, accepts: (alg: number) => boolean, kind: string) {
  const [algValue, bytesValue] = asArray(value, what, 2);
  const alg = asInt(algValue!, `${what} algorithm`);
  if (!accepts(alg)) throw new CborError('unexpected-type', `${what}: unsupported ${kind} algorithm ${alg}`);
  const bytes = asBytes(bytesValue!, `${what} value`, digestLength(alg));
  return { alg, value: bytes };
}

/** Reads an FDO Hash `[hashAlg, bstr]`; the length must match the algorithm. */
export function decodeFdoHash(value: CborValue, what = 'Hash'): FdoDigest {
  return decodeDigest(value, what, isHashAlg, 'hash');
}

/** Reads an FDO HMac `[hmacAlg, bstr]`; the length must match the algorithm. */
export function decodeFdoHmac(value: CborValue, what = 'HMac'): FdoDigest {
  return decodeDigest(value, what, isHmacAlg, 'HMAC');
}

/** The CBOR value of a Hash or HMac, ready for `encode` or for embedding in a larger structure. */
export function fdoDigestToCbor(digest: FdoDigest): CborValue {
  return [digest.alg, digest.value];
}

/** Computes an FDO Hash of data (or of the concatenation of several buffers). */
export function computeFdoHash(alg: number, data: DigestInput): FdoDigest {
  return { alg, value: hash(alg, data) };
}

/** Computes an FDO HMac of data with key. */
export function computeFdoHmac(alg: number, key: Uint8Array, data: DigestInput): FdoDigest {
  return { alg, value: hmac(alg, key, data) };
}

/** True when `expected` is the hash of data under the algorithm it names (constant-time compare). */
export function fdoHashMatches(expected: FdoDigest, data: DigestInput): boolean {
  return constantTimeEqual(hash(expected.alg, data), expected.value);
}

/** True when `expected` is the HMAC of data under key with the algorithm it names. */
export function fdoHmacMatches(expected: FdoDigest, key: Uint8Array, data: DigestInput): boolean {
  return constantTimeEqual(hmac(expected.alg, key, data), expected.value);
}
