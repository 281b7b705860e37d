import { asArray, asBytes, asInt, type CborValue } from '../cbor';

/**
 * SigInfo `[sgType, Info]` (eASigInfo from the device, echoed as eBSigInfo by the server). sgType is
 * the COSE signature algorithm the device will use (e.g. ES384 = -35) or an EPID id (90-92); Info is
 * empty for ECDSA/RSA and carries the EPID group for EPID.
 */
export interface SigInfo {
  sgType: number;
  info: Uint8Array;
}

export function sigInfoFromCbor(value: CborValue, what = 'SigInfo'): SigInfo {
  const [sgType, info] = asArray(value, what, 2);
  return { sgType: asInt(sgType, `${what}.sgType`), info: asBytes(info, `${what}.info`) };
}

export function sigInfoToCbor(sigInfo: SigInfo): CborValue {
  return [asInt(sigInfo.sgType, 'SigInfo.sgType'), asBytes(sigInfo.info, 'SigInfo.info')];
}
