import { createHash, createHmac } from 'node:crypto';
import { HashAlg } from '../fdo/constants';
import { CryptoError } from './errors';

/** FDO hash algorithm ids (COSE values): SHA-256 = -16, SHA-384 = -43. */
export type FdoHashAlg = typeof HashAlg.SHA256 | typeof HashAlg.SHA384;
/** FDO HMAC algorithm ids (COSE values): HMAC-SHA256 = 5, HMAC-SHA384 = 6. */
export type FdoHmacAlg = typeof HashAlg.HMAC_SHA256 | typeof HashAlg.HMAC_SHA384;
export type DigestName = 'sha256' | 'sha384';

/** Data to digest: one buffer, or several hashed as their concatenation. */
export type DigestInput = Uint8Array | readonly Uint8Array[];

export function isHashAlg(alg: unknown): alg is FdoHashAlg {
  return alg === HashAlg.SHA256 || alg === HashAlg.SHA384;
}

export function isHmacAlg(alg: unknown): alg is FdoHmacAlg {
  return alg === HashAlg.HMAC_SHA256 || alg === HashAlg.HMAC_SHA384;
}

/** node:crypto digest name for a hash or HMAC algorithm id. */
export function digestName(alg: number): DigestName {
  if (alg === HashAlg.SHA256 || alg === HashAlg.HMAC_SHA256) return 'sha256';
  if (alg === HashAlg.SHA384 || alg === HashAlg.HMAC_SHA384) return 'sha384';
  throw new CryptoError('unsupported-algorithm', `unsupported hash/HMAC algorithm ${alg}`);
}

/** Output length in bytes of a hash or HMAC algorithm id. */
export function digestLength(alg: number): 32 | 48 {
  return digestName(alg) === 'sha256' ? 32 : 48;
}

/** Views a Buffer as a plain Uint8Array (same memory), so results compare and encode like bytes. */
export function asPlainBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function feed(target: { update(data: Uint8Array): unknown }, data: DigestInput): void {
  if (data instanceof Uint8Array) target.update(data);
  else for (const part of data) target.update(part);
}

/** SHA-256 or SHA-384 (by FDO hash id) over data, or over the concatenation of several buffers. */
export function hash(alg: FdoHashAlg | number, data: DigestInput): Uint8Array {
  if (!isHashAlg(alg)) throw new CryptoError('unsupported-algorithm', `unsupported hash algorithm ${alg}`);
  const digest = createHash(digestName(alg));
  feed(digest, data);
  return asPlainBytes(digest.digest());
}

/** HMAC-SHA256 or HMAC-SHA384 (by FDO HMAC id). */
export function hmac(alg: FdoHmacAlg | number, key: Uint8Array, data: DigestInput): Uint8Array {
  if (!isHmacAlg(alg)) throw new CryptoError('unsupported-algorithm', `unsupported HMAC algorithm ${alg}`);
  const mac = createHmac(digestName(alg), key);
  feed(mac, data);
  return asPlainBytes(mac.digest());
}
