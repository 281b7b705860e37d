import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  asArray,
  asBytes,
  asMap,
  CBOR_TAGS,
  CborError,
  decode,
  encode,
  Tagged,
  type CborValue,
} from '../cbor';

/**
 * COSE_Mac0 (RFC 9052 section 6.2, tag 17) with HMAC (RFC 9053 section 3.1). The tag is computed
 * over MAC_structure ["MAC0", protected, external_aad, payload].
 */

export const CoseMacAlg = {
  /** HMAC 256/256 */
  HMAC_SHA256: 5,
  /** HMAC 384/384 */
  HMAC_SHA384: 6,
} as const;
export type CoseMacAlg = (typeof CoseMacAlg)[keyof typeof CoseMacAlg];

const ALG = 1;

const HMAC_DIGEST: Record<CoseMacAlg, 'sha256' | 'sha384'> = { 5: 'sha256', 6: 'sha384' };

export function isCoseMacAlg(alg: unknown): alg is CoseMacAlg {
  return alg === CoseMacAlg.HMAC_SHA256 || alg === CoseMacAlg.HMAC_SHA384;
}

export type Mac0ErrorCode = 'unsupported-algorithm' | 'algorithm-mismatch' | 'authentication-failed';

/** A COSE_Mac0 that is well formed CBOR but does not verify as asked. */
export class Mac0Error extends Error {
  override readonly name = 'Mac0Error';
  constructor(
    readonly code: Mac0ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface CoseMac0 {
  /** The protected header bucket exactly as carried (empty, or a serialized map). */
  readonly protectedBytes: Uint8Array;
  readonly protectedHeader: Map<CborValue, CborValue>;
  readonly unprotectedHeader: Map<CborValue, CborValue>;
  readonly payload: Uint8Array;
  readonly tag: Uint8Array;
}

/**
 * Reads a COSE_Mac0 from decoded CBOR: `17([protected, unprotected, payload, tag])`, or the bare
 * array when `requireTag` is false. A detached payload (null) is refused.
 */
export function decodeMac0(value: CborValue, options?: { requireTag?: boolean }): CoseMac0 {
  const what = 'COSE_Mac0';
  let body = value;
  if (value instanceof Tagged) {
    if (value.tag !== CBOR_TAGS.coseMac0)
      throw new CborError('unexpected-type', `${what}: expected CBOR tag 17, got ${value.tag}`);
    body = value.value as CborValue;
  } else if (options?.requireTag ?? true) {
    throw new CborError('unexpected-type', `${what}: expected CBOR tag 17`);
  }
  const [protectedValue, unprotectedValue, payloadValue, tagValue] = asArray(body, what, 4);
  const protectedBytes = asBytes(protectedValue!, `${what} protected header`);
  return {
    protectedBytes,
    protectedHeader:
      protectedBytes.length === 0 ? new Map() : asMap(decode(protectedBytes), `${what} protected header`),
    unprotectedHeader: asMap(unprotectedValue!, `${what} unprotected header`),
    payload: asBytes(payloadValue!, `${what} payload`),
    tag: asBytes(tagValue!, `${what} tag`),
  };
}

/** The CBOR value of a Mac0, tagged 17 unless `tagged` is false. */
export function mac0ToCbor(mac0: CoseMac0, options?: { tagged?: boolean }): CborValue {
  const body: CborValue = [mac0.protectedBytes, mac0.unprotectedHeader, mac0.payload, mac0.tag];
  return (options?.tagged ?? true) ? new Tagged(CBOR_TAGS.coseMac0, body) : body;
}

/** MAC_structure for COSE_Mac0: the bytes the HMAC covers. */
export function macStructure(
  protectedBytes: Uint8Array,
  payload: Uint8Array,
  externalAad: Uint8Array = new Uint8Array(0),
): Uint8Array {
  return encode(['MAC0', protectedBytes, externalAad, payload]);
}

function hmacTag(
  alg: CoseMacAlg,
  key: Uint8Array,
  protectedBytes: Uint8Array,
  payload: Uint8Array,
  aad?: Uint8Array,
) {
  const tag = createHmac(HMAC_DIGEST[alg], key)
    .update(macStructure(protectedBytes, payload, aad))
    .digest();
  return new Uint8Array(tag.buffer, tag.byteOffset, tag.length);
}

/** Authenticates payload under key: protected {1: alg}, empty unprotected header. */
export function createMac0(
  alg: CoseMacAlg,
  key: Uint8Array,
  payload: Uint8Array,
  externalAad?: Uint8Array,
): CoseMac0 {
  if (!isCoseMacAlg(alg))
    throw new Mac0Error('unsupported-algorithm', `unsupported COSE MAC algorithm ${alg}`);
  const protectedHeader = new Map<CborValue, CborValue>([[ALG, alg]]);
  const protectedBytes = encode(protectedHeader);
  return {
    protectedBytes,
    protectedHeader,
    unprotectedHeader: new Map(),
    payload,
    tag: hmacTag(alg, key, protectedBytes, payload, externalAad),
  };
}

/**
 * Checks that the Mac0 names `alg` and that its tag is the HMAC of its MAC_structure under key
 * (constant-time). Throws Mac0Error otherwise.
 */
export function verifyMac0(alg: CoseMacAlg, key: Uint8Array, mac0: CoseMac0, externalAad?: Uint8Array): void {
  if (!isCoseMacAlg(alg))
    throw new Mac0Error('unsupported-algorithm', `unsupported COSE MAC algorithm ${alg}`);
  const named = mac0.protectedHeader.get(ALG);
  if (named !== alg)
    throw new Mac0Error('algorithm-mismatch', `COSE_Mac0 names algorithm ${String(named)}, expected ${alg}`);
  const expected = hmacTag(alg, key, mac0.protectedBytes, mac0.payload, externalAad);
  if (mac0.tag.length !== expected.length || !timingSafeEqual(mac0.tag, expected))
    throw new Mac0Error('authentication-failed', 'COSE_Mac0 tag does not verify');
}
