import { asArray, asInt, asText, CborError, encode, RawCbor, splitArray, type CborValue } from '../../cbor';
import { decodeFdoHash, fdoDigestToCbor, type FdoDigest } from '../../crypto/fdo-hash';
import { FDO_PROTOCOL_VERSION } from '../constants';
import { guidFromCbor, type Guid } from '../guid';
import { decodePublicKey, publicKeyToCbor, type FdoPublicKey } from '../public-key';

/**
 * OVHeader = [OVHProtVer, OVGuid, OVRVInfo, OVDeviceInfo, OVPubKey, OVDevCertChainHash / null].
 * `bytes` is the exact CBOR the voucher wraps in a bstr: the device's HMAC and entry 0's
 * previous-entry hash are computed over it.
 */
export interface OvHeader {
  readonly protocolVersion: number;
  readonly guid: Guid;
  /** RendezvousInfo, kept as received; decode it with the rendezvous-info codec. */
  readonly rendezvousInfo: RawCbor;
  readonly deviceInfo: string;
  readonly manufacturerKey: FdoPublicKey;
  /** Hash over the concatenated DER of the device certificate chain; null for EPID devices. */
  readonly certChainHash: FdoDigest | null;
  readonly bytes: Uint8Array;
}

export interface OvHeaderFields {
  /** Default 101. */
  protocolVersion?: number;
  guid: Guid;
  /** RendezvousInfo as a CBOR value (a RawCbor is emitted verbatim). */
  rendezvousInfo: CborValue;
  deviceInfo: string;
  manufacturerKey: FdoPublicKey;
  certChainHash: FdoDigest | null;
}

/** Decodes an OVHeader from its exact bytes (the contents of the voucher's header bstr). */
export function decodeOvHeader(bytes: Uint8Array): OvHeader {
  const parts = splitArray(bytes);
  if (parts.length !== 6)
    throw new CborError('unexpected-type', `OVHeader: expected 6 items, got ${parts.length}`);
  const [version, guid, rvInfo, deviceInfo, publicKey, chainHash] = parts as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];
  const rendezvousInfo = new RawCbor(rvInfo);
  asArray(rendezvousInfo.decode(), 'OVHeader RendezvousInfo');
  const chainHashValue = new RawCbor(chainHash).decode();
  return {
    protocolVersion: asInt(new RawCbor(version).decode(), 'OVHeader protocol version'),
    guid: guidFromCbor(new RawCbor(guid).decode(), 'OVHeader GUID'),
    rendezvousInfo,
    deviceInfo: asText(new RawCbor(deviceInfo).decode(), 'OVHeader DeviceInfo'),
    manufacturerKey: decodePublicKey(publicKey),
    certChainHash: chainHashValue === null ? null : decodeFdoHash(chainHashValue, 'OVHeader cert chain hash'),
    bytes,
  };
}

/** Encodes an OVHeader deterministically (RendezvousInfo and the key are spliced in verbatim). */
export function encodeOvHeader(fields: OvHeaderFields): OvHeader {
  const rendezvousInfo =
    fields.rendezvousInfo instanceof RawCbor
      ? fields.rendezvousInfo
      : new RawCbor(encode(fields.rendezvousInfo));
  const bytes = encode([
    fields.protocolVersion ?? FDO_PROTOCOL_VERSION,
    fields.guid,
    rendezvousInfo,
    fields.deviceInfo,
    publicKeyToCbor(fields.manufacturerKey),
    fields.certChainHash ? fdoDigestToCbor(fields.certChainHash) : null,
  ]);
  return decodeOvHeader(bytes);
}
