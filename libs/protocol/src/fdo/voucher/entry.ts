import { asBytes, asInt, asMap, CborError, decode, encode, splitArray, type CborValue } from '../../cbor';
import { decodeSign1, type EncodedCoseSign1 } from '../../cose/sign1';
import { decodeFdoHash, fdoDigestToCbor, type FdoDigest } from '../../crypto/fdo-hash';
import { decodePublicKey, publicKeyToCbor, type FdoPublicKey } from '../public-key';

/** OVEExtra: supply-chain data the device verifies implicitly, `{ * int => bstr }`. */
export type OvExtra = ReadonlyMap<number, Uint8Array>;

/**
 * One OVEntry: a tagged COSE_Sign1 signed by the previous owner over
 * `[OVEHashPrevEntry, OVEHashHdrInfo, OVEExtra / null, OVEPubKey]`.
 */
export interface OvEntry {
  /** The whole tagged COSE_Sign1 exactly as received: the next entry's previous-entry hash covers it. */
  readonly bytes: Uint8Array;
  readonly sign1: EncodedCoseSign1;
  readonly prevHash: FdoDigest;
  readonly hdrInfoHash: FdoDigest;
  readonly extra: OvExtra | null;
  /** The key this entry hands ownership to. */
  readonly publicKey: FdoPublicKey;
}

export interface OvEntryPayloadFields {
  prevHash: FdoDigest;
  hdrInfoHash: FdoDigest;
  extra?: OvExtra | null;
  publicKey: FdoPublicKey;
}

function decodeExtra(value: CborValue): OvExtra | null {
  if (value === null) return null;
  const map = asMap(decode(asBytes(value, 'OVEExtra')), 'OVEExtra');
  const extra = new Map<number, Uint8Array>();
  for (const [key, item] of map) extra.set(asInt(key, 'OVEExtra key'), asBytes(item, 'OVEExtra value'));
  return extra;
}

/** Decodes one OVEntry from its exact bytes; tag 18 is required (FDO 1.1, fdo-rs PR #119). */
export function decodeOvEntry(bytes: Uint8Array): OvEntry {
  const sign1 = decodeSign1(bytes, { requireTag: true });
  if (sign1.payload === null)
    throw new CborError('unexpected-type', 'OVEntry: the payload must not be detached');
  const parts = splitArray(sign1.payload);
  if (parts.length !== 4)
    throw new CborError('unexpected-type', `OVEntryPayload: expected 4 items, got ${parts.length}`);
  const [prevHash, hdrInfoHash, extra, publicKey] = parts as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  return {
    bytes,
    sign1,
    prevHash: decodeFdoHash(decode(prevHash), 'OVEHashPrevEntry'),
    hdrInfoHash: decodeFdoHash(decode(hdrInfoHash), 'OVEHashHdrInfo'),
    extra: decodeExtra(decode(extra)),
    publicKey: decodePublicKey(publicKey),
  };
}

/** Encodes an OVEntryPayload; the next owner's key bytes are spliced in verbatim. */
export function encodeOvEntryPayload(fields: OvEntryPayloadFields): Uint8Array {
  const extra = fields.extra ? encode(new Map<CborValue, CborValue>(fields.extra)) : null;
  return encode([
    fdoDigestToCbor(fields.prevHash),
    fdoDigestToCbor(fields.hdrInfoHash),
    extra,
    publicKeyToCbor(fields.publicKey),
  ]);
}
