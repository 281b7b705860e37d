import { type KeyObject } from 'node:crypto';
import {
  asArray,
  asBytes,
  asBytesOrNull,
  asMap,
  CBOR_TAGS,
  CborError,
  decode,
  encode,
  Tagged,
  type CborValue,
  type DecodeOptions,
} from '../cbor';
import { CryptoError } from '../crypto/errors';
import { isSigAlg, sigAlgName, verifyWithAlg } from '../crypto/signature';
import { CoseHeader, type SigAlg } from '../fdo/constants';
import { type Signer } from './signer';

/** A COSE_Sign1 (RFC 9052 section 4.2). The protected header is kept as the exact bytes received. */
export interface CoseSign1 {
  /** Contents of the protected-header bstr, exactly as received (empty for an empty header). */
  readonly protectedBytes: Uint8Array;
  /** The protected header decoded (an empty map when protectedBytes is empty). */
  readonly protectedHeader: ReadonlyMap<CborValue, CborValue>;
  readonly unprotectedHeader: ReadonlyMap<CborValue, CborValue>;
  /** The payload bstr, or null when detached. */
  readonly payload: Uint8Array | null;
  readonly signature: Uint8Array;
}

/** A COSE_Sign1 together with its exact encoding. */
export interface EncodedCoseSign1 extends CoseSign1 {
  /** The whole item as received or produced, including tag 18 when tagged. */
  readonly bytes: Uint8Array;
  readonly tagged: boolean;
}

export interface Sign1DecodeOptions extends DecodeOptions {
  /** Refuse an untagged COSE_Sign1 (FDO voucher entries must carry tag 18). Default false. */
  requireTag?: boolean;
}

function decodeProtected(bytes: Uint8Array): Map<CborValue, CborValue> {
  if (bytes.length === 0) return new Map();
  return asMap(decode(bytes), 'COSE_Sign1 protected header');
}

/**
 * Reads a COSE_Sign1 from an already decoded CBOR value (tagged 18 or untagged). The protected
 * header bytes are exact; use decodeSign1 when the encoding of the whole item must be kept too.
 */
export function sign1FromCbor(
  value: CborValue,
  options: { requireTag?: boolean } = {},
): CoseSign1 & {
  tagged: boolean;
} {
  let body = value;
  const tagged = value instanceof Tagged;
  if (value instanceof Tagged) {
    if (value.tag !== CBOR_TAGS.coseSign1)
      throw new CborError('unexpected-type', `COSE_Sign1: expected CBOR tag 18, got tag ${value.tag}`);
    body = value.value as CborValue;
  } else if (options.requireTag) {
    throw new CborError('unexpected-type', 'COSE_Sign1: CBOR tag 18 is required');
  }
  const [protectedValue, unprotectedValue, payloadValue, signatureValue] = asArray(body, 'COSE_Sign1', 4);
  const protectedBytes = asBytes(protectedValue!, 'COSE_Sign1 protected header');
  return {
    protectedBytes,
    protectedHeader: decodeProtected(protectedBytes),
    unprotectedHeader: asMap(unprotectedValue!, 'COSE_Sign1 unprotected header'),
    payload: asBytesOrNull(payloadValue!, 'COSE_Sign1 payload'),
    signature: asBytes(signatureValue!, 'COSE_Sign1 signature'),
    tagged,
  };
}

/** Decodes a COSE_Sign1 and keeps its exact bytes. */
export function decodeSign1(bytes: Uint8Array, options: Sign1DecodeOptions = {}): EncodedCoseSign1 {
  return { ...sign1FromCbor(decode(bytes, options), options), bytes };
}

/** The CBOR value of a COSE_Sign1 (tagged by default), for embedding in a larger structure. */
export function sign1ToCbor(message: CoseSign1, options: { tagged?: boolean } = {}): CborValue {
  const body: CborValue = [
    message.protectedBytes,
    new Map(message.unprotectedHeader),
    message.payload,
    message.signature,
  ];
  return options.tagged === false ? body : new Tagged(CBOR_TAGS.coseSign1, body);
}

/** Encodes a COSE_Sign1 (tagged by default). The protected header bytes are emitted unchanged. */
export function encodeSign1(message: CoseSign1, options: { tagged?: boolean } = {}): Uint8Array {
  return encode(sign1ToCbor(message, options));
}

/** The algorithm named by protected header label 1. FDO requires it there (not unprotected). */
export function sign1Algorithm(message: CoseSign1): SigAlg {
  const alg = message.protectedHeader.get(CoseHeader.Alg);
  if (alg === undefined)
    throw new CryptoError('malformed-cose', 'COSE_Sign1 has no algorithm in its protected header');
  if (!isSigAlg(alg))
    throw new CryptoError('unsupported-algorithm', `unsupported COSE_Sign1 algorithm ${String(alg)}`);
  return alg;
}

/** Sig_structure for COSE_Sign1: ["Signature1", body_protected, external_aad, payload]. */
export function sign1SigStructure(
  protectedBytes: Uint8Array,
  externalAad: Uint8Array,
  payload: Uint8Array,
): Uint8Array {
  return encode(['Signature1', protectedBytes, externalAad, payload]);
}

export interface Sign1SignOptions {
  /** Protected header labels besides alg (label 1 is always set to the signer's algorithm). */
  protectedHeader?: ReadonlyMap<CborValue, CborValue>;
  unprotectedHeader?: ReadonlyMap<CborValue, CborValue>;
  externalAad?: Uint8Array;
  /** Leave the payload out of the message (it is still signed). Default false. */
  detached?: boolean;
  /** Emit tag 18. Default true. */
  tagged?: boolean;
}

/** Signs payload into a COSE_Sign1 with the signer's algorithm in the protected header. */
export async function signSign1(
  signer: Signer,
  payload: Uint8Array,
  options: Sign1SignOptions = {},
): Promise<EncodedCoseSign1> {
  const protectedHeader = new Map<CborValue, CborValue>(options.protectedHeader ?? []);
  protectedHeader.set(CoseHeader.Alg, signer.alg);
  const protectedBytes = encode(protectedHeader);
  const toBeSigned = sign1SigStructure(protectedBytes, options.externalAad ?? new Uint8Array(0), payload);
  const signature = await signer.sign(toBeSigned);
  const message: CoseSign1 = {
    protectedBytes,
    protectedHeader,
    unprotectedHeader: new Map(options.unprotectedHeader ?? []),
    payload: options.detached ? null : payload,
    signature,
  };
  const tagged = options.tagged !== false;
  return { ...message, bytes: encodeSign1(message, { tagged }), tagged };
}

export interface Sign1VerifyOptions {
  externalAad?: Uint8Array;
  /** The payload, when the message carries none (detached). */
  detachedPayload?: Uint8Array;
  /** Algorithms acceptable here (e.g. those an FDO pkType allows); others are refused. */
  allowedAlgs?: readonly number[];
}

/**
 * Verifies a COSE_Sign1 with a public key, using the algorithm from protected label 1. Returns
 * false when the signature does not verify. Throws CryptoError when the message names no or an
 * unsupported algorithm, one outside allowedAlgs, or one that does not fit the key (an ES384
 * signature claimed for a P-256 key, RSA for an EC key, ...), and when there is no payload.
 */
export function verifySign1(
  message: CoseSign1,
  publicKey: KeyObject,
  options: Sign1VerifyOptions = {},
): boolean {
  const alg = sign1Algorithm(message);
  if (options.allowedAlgs && !options.allowedAlgs.includes(alg))
    throw new CryptoError('algorithm-key-mismatch', `${sigAlgName(alg)} is not allowed here`);
  const payload = message.payload ?? options.detachedPayload;
  if (!payload)
    throw new CryptoError('missing-payload', 'COSE_Sign1 payload is detached and was not supplied');
  const toBeSigned = sign1SigStructure(
    message.protectedBytes,
    options.externalAad ?? new Uint8Array(0),
    payload,
  );
  return verifyWithAlg(alg, publicKey, toBeSigned, message.signature);
}
