import { asArray, asBytes, asMap, CborError, decode, encode, type CborValue } from '../cbor';
import { GUID_LENGTH } from './guid';
import { CoseHeader, EAT_UEID_TYPE_RAND, EatClaim } from './constants';
import { NONCE_LENGTH } from './messages/fields';

/**
 * The Entity Attestation Token payload FDO devices sign (TO1.ProveToRV, TO2.ProveDevice; go-fdo
 * eat.go): a map with the nonce (10), the UEID (256) = 0x01 (RAND) || GUID, and optionally the FDO
 * claim (-257). fdo-rs labels the UEID 11; both are accepted and the label is kept for re-encoding.
 */
export interface EatPayload {
  nonce: Uint8Array;
  guid: Uint8Array;
  /** Which UEID label carried the GUID: 256 (go-fdo, PRI, conformance tools) or 11 (fdo-rs). */
  ueidLabel: typeof EatClaim.Ueid | typeof EatClaim.UeidLegacy;
  /** The EAT-FDO claim, e.g. `[xBKeyExchange]` in TO2.ProveDevice. */
  fdo?: CborValue;
  /** Every other claim, kept as received. */
  otherClaims: Map<CborValue, CborValue>;
}

export function eatPayloadFromCbor(value: CborValue, what = 'EAT'): EatPayload {
  const claims = new Map(asMap(value, what));
  const nonce = asBytes(claims.get(EatClaim.Nonce), `${what}.nonce`, NONCE_LENGTH);
  claims.delete(EatClaim.Nonce);
  const ueidLabel = claims.has(EatClaim.Ueid) ? EatClaim.Ueid : EatClaim.UeidLegacy;
  if (claims.has(EatClaim.Ueid) && claims.has(EatClaim.UeidLegacy))
    throw new CborError('unexpected-type', `${what}: UEID given under both labels 256 and 11`);
  const ueid = asBytes(claims.get(ueidLabel), `${what}.ueid`, 1 + GUID_LENGTH);
  if (ueid[0] !== EAT_UEID_TYPE_RAND)
    throw new CborError('unexpected-type', `${what}.ueid: type must be RAND (0x01), got ${ueid[0]}`);
  claims.delete(ueidLabel);
  const payload: EatPayload = { nonce, guid: ueid.subarray(1), ueidLabel, otherClaims: claims };
  if (claims.has(EatClaim.FdoClaim)) {
    payload.fdo = claims.get(EatClaim.FdoClaim);
    claims.delete(EatClaim.FdoClaim);
  }
  return payload;
}

export function eatPayloadToCbor(payload: EatPayload): CborValue {
  const claims = new Map<CborValue, CborValue>(payload.otherClaims);
  claims.set(EatClaim.Nonce, asBytes(payload.nonce, 'EAT.nonce', NONCE_LENGTH));
  const guid = asBytes(payload.guid, 'EAT.guid', GUID_LENGTH);
  claims.set(payload.ueidLabel, Uint8Array.from([EAT_UEID_TYPE_RAND, ...guid]));
  if (payload.fdo !== undefined) claims.set(EatClaim.FdoClaim, payload.fdo);
  return claims;
}

/** Decodes the COSE_Sign1 payload bytes of an EAT. */
export function decodeEatPayload(bytes: Uint8Array): EatPayload {
  return eatPayloadFromCbor(decode(bytes));
}

/** Deterministic encoding, which is also what go-fdo produces (keys 10, 256, -257 in that order). */
export function encodeEatPayload(payload: EatPayload): Uint8Array {
  return encode(eatPayloadToCbor(payload));
}

/** The EAT payload for a device with this GUID answering this nonce. */
export function newEatPayload(guid: Uint8Array, nonce: Uint8Array, fdo?: CborValue): EatPayload {
  const payload: EatPayload = { nonce, guid, ueidLabel: EatClaim.Ueid, otherClaims: new Map() };
  if (fdo !== undefined) payload.fdo = fdo;
  return payload;
}

/** The FDO claim of TO2.ProveDevice: `[xBKeyExchange]`. */
export function proveDeviceFdoClaim(xBKeyExchange: Uint8Array): CborValue {
  return [xBKeyExchange];
}

export function readProveDeviceFdoClaim(payload: EatPayload, what = 'TO2.ProveDevice EAT-FDO'): Uint8Array {
  if (payload.fdo === undefined) throw new CborError('unexpected-type', `${what}: claim missing`);
  const [xB] = asArray(payload.fdo, what, 1);
  return asBytes(xB, `${what}.xBKeyExchange`);
}

/** The EAT unprotected header items FDO defines. */
export interface EatUnprotectedHeaders {
  /** EUPHNonce (-259): NonceTO2SetupDv in TO2.ProveDevice. */
  euphNonce?: Uint8Array;
  /** MAROEPrefix (-258), only for devices whose root of trust needs it. */
  maroePrefix?: Uint8Array;
}

/** Reads the FDO items from a COSE unprotected header map; other labels are left to the COSE codec. */
export function eatUnprotectedFromCbor(value: CborValue, what = 'EAT unprotected'): EatUnprotectedHeaders {
  const map = asMap(value, what);
  const headers: EatUnprotectedHeaders = {};
  if (map.has(CoseHeader.EUPHNonce))
    headers.euphNonce = asBytes(map.get(CoseHeader.EUPHNonce), `${what}.EUPHNonce`, NONCE_LENGTH);
  if (map.has(CoseHeader.EatMaroePrefix))
    headers.maroePrefix = asBytes(map.get(CoseHeader.EatMaroePrefix), `${what}.MAROEPrefix`);
  return headers;
}

export function eatUnprotectedToCbor(headers: EatUnprotectedHeaders): Map<CborValue, CborValue> {
  const map = new Map<CborValue, CborValue>();
  if (headers.euphNonce !== undefined)
    map.set(CoseHeader.EUPHNonce, asBytes(headers.euphNonce, 'EUPHNonce', NONCE_LENGTH));
  if (headers.maroePrefix !== undefined) map.set(CoseHeader.EatMaroePrefix, headers.maroePrefix);
  return map;
}
