import { asArray, decode, encode, type RawCbor } from '../../cbor';
import { GUID_LENGTH } from '../guid';
import { rendezvousInfoFromCbor, rendezvousInfoToCbor, type RendezvousInfo } from '../rendezvous-info';
import {
  checkBytes,
  NONCE_LENGTH,
  readArrayBody,
  readGuid,
  readHashRaw,
  readNonce,
  readPublicKeyRaw,
  readUintOrNull,
  checkUintMax,
} from './fields';
import { decodeSign1Message, encodeSign1Message, type Sign1Message } from './to1';

/** TO2 credential replacement, messages 65-67 (go-fdo to2.go deviceSetup, deviceServiceInfoReady). */

/** TO2.SetupDevice (65): COSE_Sign1 by the Owner2Key; payload To2SetupDevicePayload. Encrypted. */
export type To2SetupDevice = Sign1Message;

export function decodeTo2SetupDevice(bytes: Uint8Array): To2SetupDevice {
  return decodeSign1Message(bytes, 'TO2.SetupDevice');
}

export const encodeTo2SetupDevice = encodeSign1Message;

/** `[RendezvousInfo, Guid, NonceTO2SetupDv, Owner2Key]`: the device's replacement credentials. */
export interface To2SetupDevicePayload {
  rendezvousInfo: RendezvousInfo;
  guid: Uint8Array;
  nonceTo2SetupDv: Uint8Array;
  /** PublicKey, kept byte-exact for the public-key codec and the replacement voucher. */
  owner2Key: RawCbor;
}

export function decodeTo2SetupDevicePayload(bytes: Uint8Array): To2SetupDevicePayload {
  const what = 'TO2.SetupDevice payload';
  const { items, raw } = readArrayBody(bytes, what, 4);
  return {
    rendezvousInfo: rendezvousInfoFromCbor(items[0], `${what}.rendezvousInfo`),
    guid: readGuid(items[1], `${what}.guid`),
    nonceTo2SetupDv: readNonce(items[2], `${what}.nonceTo2SetupDv`),
    owner2Key: readPublicKeyRaw(items[3], raw[3]!, `${what}.owner2Key`),
  };
}

export function encodeTo2SetupDevicePayload(payload: To2SetupDevicePayload): Uint8Array {
  const what = 'TO2.SetupDevice payload';
  return encode([
    rendezvousInfoToCbor(payload.rendezvousInfo),
    checkBytes(payload.guid, GUID_LENGTH, `${what}.guid`),
    checkBytes(payload.nonceTo2SetupDv, NONCE_LENGTH, `${what}.nonceTo2SetupDv`),
    payload.owner2Key,
  ]);
}

/**
 * TO2.DeviceServiceInfoReady (66): `[ReplacementHMac / null, maxOwnerServiceInfoSz / null]`. A null
 * HMac means the device accepted credential reuse; a null size means the default (1300).
 */
export interface To2DeviceServiceInfoReady {
  replacementHmac: RawCbor | null;
  maxOwnerServiceInfoSize: number | null;
}

export function decodeTo2DeviceServiceInfoReady(bytes: Uint8Array): To2DeviceServiceInfoReady {
  const what = 'TO2.DeviceServiceInfoReady';
  const { items, raw } = readArrayBody(bytes, what, 2);
  return {
    replacementHmac: items[0] === null ? null : readHashRaw(items[0], raw[0]!, `${what}.replacementHmac`),
    maxOwnerServiceInfoSize: readUintOrNull(items[1], 0xffff, `${what}.maxOwnerServiceInfoSize`),
  };
}

export function encodeTo2DeviceServiceInfoReady(msg: To2DeviceServiceInfoReady): Uint8Array {
  const size = msg.maxOwnerServiceInfoSize;
  return encode([
    msg.replacementHmac,
    size === null ? null : checkUintMax(size, 0xffff, 'TO2.DeviceServiceInfoReady.maxOwnerServiceInfoSize'),
  ]);
}

/** TO2.OwnerServiceInfoReady (67): `[maxDeviceServiceInfoSz / null]`. */
export interface To2OwnerServiceInfoReady {
  maxDeviceServiceInfoSize: number | null;
}

export function decodeTo2OwnerServiceInfoReady(bytes: Uint8Array): To2OwnerServiceInfoReady {
  const [size] = asArray(decode(bytes), 'TO2.OwnerServiceInfoReady', 1);
  return {
    maxDeviceServiceInfoSize: readUintOrNull(
      size,
      0xffff,
      'TO2.OwnerServiceInfoReady.maxDeviceServiceInfoSize',
    ),
  };
}

export function encodeTo2OwnerServiceInfoReady(msg: To2OwnerServiceInfoReady): Uint8Array {
  const size = msg.maxDeviceServiceInfoSize;
  return encode([
    size === null ? null : checkUintMax(size, 0xffff, 'TO2.OwnerServiceInfoReady.maxDeviceServiceInfoSize'),
  ]);
}
