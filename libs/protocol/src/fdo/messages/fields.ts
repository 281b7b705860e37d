import {
  asArray,
  asBytes,
  asInt,
  asMap,
  asUint,
  CborError,
  decode,
  RawCbor,
  splitArray,
  Tagged,
  type CborValue,
} from '../../cbor';
import { GUID_LENGTH } from '../guid';

/**
 * Field readers shared by the message codecs. Each names the field in its CborError so a peer's bad
 * body can be diagnosed from the error string alone.
 */

/** Every FDO nonce is a 16-byte byte string. */
export const NONCE_LENGTH = 16;

/** A decoded top-level array with the exact bytes of each element, for fields kept as RawCbor. */
export interface ArrayBody {
  items: CborValue[];
  raw: Uint8Array[];
}

/** Strictly decodes `bytes` as an array of `length` items (or a [min, max] range). */
export function readArrayBody(bytes: Uint8Array, what: string, length: number | [number, number]): ArrayBody {
  const items = asArray(decode(bytes), what, length);
  return { items, raw: splitArray(bytes) };
}

export function readNonce(value: CborValue, what: string): Uint8Array {
  return asBytes(value, what, NONCE_LENGTH);
}

export function readGuid(value: CborValue, what: string): Uint8Array {
  return asBytes(value, what, GUID_LENGTH);
}

/** An unsigned integer no larger than `max` (e.g. 0xff for uint8 fields, 0xffff for uint16). */
export function readUintMax(value: CborValue, max: number, what: string): number {
  const n = asUint(value, what);
  if (n > max) throw new CborError('unexpected-type', `${what}: ${n} exceeds ${max}`);
  return n;
}

export function readUintOrNull(value: CborValue, max: number, what: string): number | null {
  return value === null ? null : readUintMax(value, max, what);
}

/** Checks a value we are about to encode, so a wrong-sized nonce never reaches the wire. */
export function checkBytes(value: Uint8Array, length: number, what: string): Uint8Array {
  return asBytes(value, what, length);
}

export function checkUintMax(value: number, max: number, what: string): number {
  return readUintMax(value, max, what);
}

/** Hash and HMac share the shape `[alg, bstr]`; the bytes are kept verbatim for hashing. */
export function readHashRaw(value: CborValue, raw: Uint8Array, what: string): RawCbor {
  const [alg, digest] = asArray(value, what, 2);
  asInt(alg, `${what}.alg`);
  asBytes(digest, `${what}.value`);
  return new RawCbor(raw);
}

/** PublicKey `[pkType, pkEnc, body]`; decoding the body is the public-key codec's job. */
export function readPublicKeyRaw(value: CborValue, raw: Uint8Array, what: string): RawCbor {
  const [pkType, pkEnc] = asArray(value, what, 3);
  asUint(pkType, `${what}.pkType`);
  asUint(pkEnc, `${what}.pkEnc`);
  return new RawCbor(raw);
}

/**
 * COSE_Sign1 `[protected bstr, unprotected map, payload bstr / nil, signature bstr]`, tagged 18 as
 * every implementation sends it (untagged accepted too). Only the shape is checked here; signature
 * work belongs to the COSE codec, which gets these exact bytes.
 */
export function readCoseSign1Raw(value: CborValue, raw: Uint8Array, what: string): RawCbor {
  const body = value instanceof Tagged ? readSign1Tag(value, what) : value;
  const [protectedHeader, unprotectedHeader, payload, signature] = asArray(body, what, 4);
  asBytes(protectedHeader, `${what}.protected`);
  asMap(unprotectedHeader, `${what}.unprotected`);
  if (payload !== null) asBytes(payload, `${what}.payload`);
  asBytes(signature, `${what}.signature`);
  return new RawCbor(raw);
}

function readSign1Tag(value: Tagged, what: string): CborValue {
  if (value.tag !== 18) throw new CborError('unexpected-type', `${what}: expected COSE_Sign1 (tag 18)`);
  return value.value as CborValue;
}

/**
 * A byte string that wraps CBOR (`bstr .cbor T`), such as OVHeader or to0d. The wrapped bytes are
 * kept exactly (they are hashed and HMACed) after checking they hold one well-formed item.
 */
export function readWrappedCbor(value: CborValue, what: string): { raw: RawCbor; value: CborValue } {
  const inner = asBytes(value, what);
  let decoded: CborValue;
  try {
    decoded = decode(inner);
  } catch (err) {
    if (err instanceof CborError) throw new CborError(err.code, `${what}: ${err.message}`);
    throw err;
  }
  return { raw: new RawCbor(inner), value: decoded };
}
