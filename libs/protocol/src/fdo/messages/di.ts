import { asArray, asBytes, decode, encode, type RawCbor } from '../../cbor';
import { readArrayBody, readHashRaw, readWrappedCbor } from './fields';

/**
 * Device Initialize (DI, messages 10-13; go-fdo di.go). OVHeader and HMac stay RawCbor: the device
 * HMACs the exact OVHeader bytes and the voucher keeps them.
 */

/** DI.AppStart (10): `[DeviceMfgInfo]`, a byte string wrapping the CBOR DeviceMfgInfo, or null. */
export interface DiAppStart {
  /** The wrapped bytes (decode with decodeDeviceMfgInfo); null when the device sent none. */
  deviceMfgInfo: Uint8Array | null;
}

export function decodeDiAppStart(bytes: Uint8Array): DiAppStart {
  const [info] = asArray(decode(bytes), 'DI.AppStart', 1);
  return { deviceMfgInfo: info === null ? null : asBytes(info, 'DI.AppStart.deviceMfgInfo') };
}

export function encodeDiAppStart(msg: DiAppStart): Uint8Array {
  return encode([msg.deviceMfgInfo]);
}

/** DI.SetCredentials (11): `[bstr .cbor OVHeader]`; the header bytes are kept exactly. */
export interface DiSetCredentials {
  ovHeader: RawCbor;
}

export function decodeDiSetCredentials(bytes: Uint8Array): DiSetCredentials {
  const [header] = asArray(decode(bytes), 'DI.SetCredentials', 1);
  const { raw, value } = readWrappedCbor(header, 'DI.SetCredentials.ovHeader');
  asArray(value, 'DI.SetCredentials.ovHeader');
  return { ovHeader: raw };
}

export function encodeDiSetCredentials(msg: DiSetCredentials): Uint8Array {
  return encode([msg.ovHeader.bytes]);
}

/** DI.SetHMAC (12): `[HMac]`, the device's HMAC over the OVHeader bytes. */
export interface DiSetHmac {
  hmac: RawCbor;
}

export function decodeDiSetHmac(bytes: Uint8Array): DiSetHmac {
  const { items, raw } = readArrayBody(bytes, 'DI.SetHMAC', 1);
  return { hmac: readHashRaw(items[0], raw[0]!, 'DI.SetHMAC.hmac') };
}

export function encodeDiSetHmac(msg: DiSetHmac): Uint8Array {
  return encode([msg.hmac]);
}

/** An empty-array message body: DI.Done (13) and TO0.Hello (20). */
export type EmptyMessage = Record<string, never>;

export function decodeEmptyMessage(bytes: Uint8Array, what: string): EmptyMessage {
  asArray(decode(bytes), what, 0);
  return {};
}

export function encodeEmptyMessage(): Uint8Array {
  return encode([]);
}

export type DiDone = EmptyMessage;

export function decodeDiDone(bytes: Uint8Array): DiDone {
  return decodeEmptyMessage(bytes, 'DI.Done');
}

export function encodeDiDone(_msg: DiDone = {}): Uint8Array {
  return encodeEmptyMessage();
}
