import { asArray, asBytes, asInt, asText, decode, encode, type RawCbor } from '../../cbor';
import { GUID_LENGTH } from '../guid';
import { sigInfoFromCbor, sigInfoToCbor, type SigInfo } from '../sig-info';
import {
  checkBytes,
  checkUintMax,
  NONCE_LENGTH,
  readArrayBody,
  readCoseSign1Raw,
  readGuid,
  readHashRaw,
  readNonce,
  readUintMax,
  readWrappedCbor,
} from './fields';
import { decodeSign1Message, encodeSign1Message, type Sign1Message } from './to1';

/** TO2 mutual attestation, messages 60-64 (go-fdo to2.go helloDeviceMsg, ovhProof, ovEntry). */

/** TO2.HelloDevice (60). The owner hashes these exact request bytes into HelloDeviceHash. */
export interface To2HelloDevice {
  maxDeviceMessageSize: number;
  guid: Uint8Array;
  nonceTo2ProveOv: Uint8Array;
  /** KexSuiteName, e.g. "ECDH384". */
  kexSuiteName: string;
  /** CipherSuite (COSE algorithm id), e.g. 1 = A128GCM. */
  cipherSuite: number;
  sigInfoA: SigInfo;
}

export function decodeTo2HelloDevice(bytes: Uint8Array): To2HelloDevice {
  const [maxSize, guid, nonce, kex, cipher, sigInfo] = asArray(decode(bytes), 'TO2.HelloDevice', 6);
  return {
    maxDeviceMessageSize: readUintMax(maxSize, 0xffff, 'TO2.HelloDevice.maxDeviceMessageSize'),
    guid: readGuid(guid, 'TO2.HelloDevice.guid'),
    nonceTo2ProveOv: readNonce(nonce, 'TO2.HelloDevice.nonceTo2ProveOv'),
    kexSuiteName: asText(kex, 'TO2.HelloDevice.kexSuiteName'),
    cipherSuite: asInt(cipher, 'TO2.HelloDevice.cipherSuite'),
    sigInfoA: sigInfoFromCbor(sigInfo, 'TO2.HelloDevice.eASigInfo'),
  };
}

export function encodeTo2HelloDevice(msg: To2HelloDevice): Uint8Array {
  return encode([
    checkUintMax(msg.maxDeviceMessageSize, 0xffff, 'TO2.HelloDevice.maxDeviceMessageSize'),
    checkBytes(msg.guid, GUID_LENGTH, 'TO2.HelloDevice.guid'),
    checkBytes(msg.nonceTo2ProveOv, NONCE_LENGTH, 'TO2.HelloDevice.nonceTo2ProveOv'),
    asText(msg.kexSuiteName, 'TO2.HelloDevice.kexSuiteName'),
    asInt(msg.cipherSuite, 'TO2.HelloDevice.cipherSuite'),
    sigInfoToCbor(msg.sigInfoA),
  ]);
}

/** TO2.ProveOVHdr (61): COSE_Sign1 by the current owner key; its payload is To2ProveOvHdrPayload. */
export type To2ProveOvHdr = Sign1Message;

export function decodeTo2ProveOvHdr(bytes: Uint8Array): To2ProveOvHdr {
  return decodeSign1Message(bytes, 'TO2.ProveOVHdr');
}

export const encodeTo2ProveOvHdr = encodeSign1Message;

/**
 * The ProveOVHdr payload `[bstr .cbor OVHeader, NumOVEntries, HMac, NonceTO2ProveOV, eBSigInfo,
 * xAKeyExchange, HelloDeviceHash, maxOwnerMessageSize]`. Its unprotected headers (CUPHNonce 256,
 * CUPHOwnerPubKey 257) belong to the COSE_Sign1 and are read with the COSE codec.
 */
export interface To2ProveOvHdrPayload {
  /** The OVHeader bytes inside the byte string, exactly as sent (the device HMACs them). */
  ovHeader: RawCbor;
  numOvEntries: number;
  hmac: RawCbor;
  nonceTo2ProveOv: Uint8Array;
  sigInfoB: SigInfo;
  xAKeyExchange: Uint8Array;
  helloDeviceHash: RawCbor;
  maxOwnerMessageSize: number;
}

export function decodeTo2ProveOvHdrPayload(bytes: Uint8Array): To2ProveOvHdrPayload {
  const what = 'TO2.ProveOVHdr payload';
  const { items, raw } = readArrayBody(bytes, what, 8);
  const header = readWrappedCbor(items[0], `${what}.ovHeader`);
  asArray(header.value, `${what}.ovHeader`);
  return {
    ovHeader: header.raw,
    numOvEntries: readUintMax(items[1], 0xff, `${what}.numOvEntries`),
    hmac: readHashRaw(items[2], raw[2]!, `${what}.hmac`),
    nonceTo2ProveOv: readNonce(items[3], `${what}.nonceTo2ProveOv`),
    sigInfoB: sigInfoFromCbor(items[4], `${what}.eBSigInfo`),
    xAKeyExchange: asBytes(items[5], `${what}.xAKeyExchange`),
    helloDeviceHash: readHashRaw(items[6], raw[6]!, `${what}.helloDeviceHash`),
    maxOwnerMessageSize: readUintMax(items[7], 0xffff, `${what}.maxOwnerMessageSize`),
  };
}

export function encodeTo2ProveOvHdrPayload(payload: To2ProveOvHdrPayload): Uint8Array {
  const what = 'TO2.ProveOVHdr payload';
  return encode([
    payload.ovHeader.bytes,
    checkUintMax(payload.numOvEntries, 0xff, `${what}.numOvEntries`),
    payload.hmac,
    checkBytes(payload.nonceTo2ProveOv, NONCE_LENGTH, `${what}.nonceTo2ProveOv`),
    sigInfoToCbor(payload.sigInfoB),
    asBytes(payload.xAKeyExchange, `${what}.xAKeyExchange`),
    payload.helloDeviceHash,
    checkUintMax(payload.maxOwnerMessageSize, 0xffff, `${what}.maxOwnerMessageSize`),
  ]);
}

/** TO2.GetOVNextEntry (62): `[OVEntryNum]`. */
export interface To2GetOvNextEntry {
  entryNum: number;
}

export function decodeTo2GetOvNextEntry(bytes: Uint8Array): To2GetOvNextEntry {
  const [entryNum] = asArray(decode(bytes), 'TO2.GetOVNextEntry', 1);
  return { entryNum: readUintMax(entryNum, 0xff, 'TO2.GetOVNextEntry.entryNum') };
}

export function encodeTo2GetOvNextEntry(msg: To2GetOvNextEntry): Uint8Array {
  return encode([checkUintMax(msg.entryNum, 0xff, 'TO2.GetOVNextEntry.entryNum')]);
}

/** TO2.OVNextEntry (63): `[OVEntryNum, OVEntry]`; the entry (COSE_Sign1) is kept byte-exact. */
export interface To2OvNextEntry {
  entryNum: number;
  entry: RawCbor;
}

export function decodeTo2OvNextEntry(bytes: Uint8Array): To2OvNextEntry {
  const { items, raw } = readArrayBody(bytes, 'TO2.OVNextEntry', 2);
  return {
    entryNum: readUintMax(items[0], 0xff, 'TO2.OVNextEntry.entryNum'),
    entry: readCoseSign1Raw(items[1], raw[1]!, 'TO2.OVNextEntry.entry'),
  };
}

export function encodeTo2OvNextEntry(msg: To2OvNextEntry): Uint8Array {
  return encode([checkUintMax(msg.entryNum, 0xff, 'TO2.OVNextEntry.entryNum'), msg.entry]);
}

/** TO2.ProveDevice (64): the device's EAT (see eat.ts); sent in clear. */
export type To2ProveDevice = Sign1Message;

export function decodeTo2ProveDevice(bytes: Uint8Array): To2ProveDevice {
  return decodeSign1Message(bytes, 'TO2.ProveDevice');
}

export const encodeTo2ProveDevice = encodeSign1Message;
