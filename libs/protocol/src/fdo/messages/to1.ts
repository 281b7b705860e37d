import { asArray, decode, encode, type RawCbor } from '../../cbor';
import { GUID_LENGTH } from '../guid';
import { sigInfoFromCbor, sigInfoToCbor, type SigInfo } from '../sig-info';
import { checkBytes, NONCE_LENGTH, readCoseSign1Raw, readGuid, readNonce } from './fields';

/** Transfer Ownership 1 (device asks the rendezvous server for its owner, messages 30-33; go-fdo to1.go). */

/** TO1.HelloRV (30): `[Guid, eASigInfo]`. */
export interface To1HelloRv {
  guid: Uint8Array;
  sigInfoA: SigInfo;
}

export function decodeTo1HelloRv(bytes: Uint8Array): To1HelloRv {
  const [guid, sigInfo] = asArray(decode(bytes), 'TO1.HelloRV', 2);
  return {
    guid: readGuid(guid, 'TO1.HelloRV.guid'),
    sigInfoA: sigInfoFromCbor(sigInfo, 'TO1.HelloRV.eASigInfo'),
  };
}

export function encodeTo1HelloRv(msg: To1HelloRv): Uint8Array {
  return encode([checkBytes(msg.guid, GUID_LENGTH, 'TO1.HelloRV.guid'), sigInfoToCbor(msg.sigInfoA)]);
}

/** TO1.HelloRVAck (31): `[NonceTO1Proof, eBSigInfo]`. */
export interface To1HelloRvAck {
  nonceTo1Proof: Uint8Array;
  sigInfoB: SigInfo;
}

export function decodeTo1HelloRvAck(bytes: Uint8Array): To1HelloRvAck {
  const [nonce, sigInfo] = asArray(decode(bytes), 'TO1.HelloRVAck', 2);
  return {
    nonceTo1Proof: readNonce(nonce, 'TO1.HelloRVAck.nonceTo1Proof'),
    sigInfoB: sigInfoFromCbor(sigInfo, 'TO1.HelloRVAck.eBSigInfo'),
  };
}

export function encodeTo1HelloRvAck(msg: To1HelloRvAck): Uint8Array {
  return encode([
    checkBytes(msg.nonceTo1Proof, NONCE_LENGTH, 'TO1.HelloRVAck.nonceTo1Proof'),
    sigInfoToCbor(msg.sigInfoB),
  ]);
}

/**
 * A message whose whole body is one COSE_Sign1, kept byte-exact for signature verification:
 * TO1.ProveToRV (32, the device's EAT), TO1.RVRedirect (33, to1d), TO2.ProveOVHdr (61),
 * TO2.ProveDevice (64, EAT) and TO2.SetupDevice (65).
 */
export interface Sign1Message {
  sign1: RawCbor;
}

export function decodeSign1Message(bytes: Uint8Array, what: string): Sign1Message {
  return { sign1: readCoseSign1Raw(decode(bytes), bytes, what) };
}

export function encodeSign1Message(msg: Sign1Message): Uint8Array {
  return encode(msg.sign1);
}

export type To1ProveToRv = Sign1Message;
export type To1RvRedirect = Sign1Message;

export function decodeTo1ProveToRv(bytes: Uint8Array): To1ProveToRv {
  return decodeSign1Message(bytes, 'TO1.ProveToRV');
}

export function decodeTo1RvRedirect(bytes: Uint8Array): To1RvRedirect {
  return decodeSign1Message(bytes, 'TO1.RVRedirect');
}

export const encodeTo1ProveToRv = encodeSign1Message;
export const encodeTo1RvRedirect = encodeSign1Message;
