import { asArray, decode, encode, RawCbor } from '../../cbor';
import { decodeEmptyMessage, encodeEmptyMessage, type EmptyMessage } from './di';
import {
  checkBytes,
  checkUintMax,
  NONCE_LENGTH,
  readArrayBody,
  readCoseSign1Raw,
  readNonce,
  readUintMax,
  readWrappedCbor,
} from './fields';

/** Transfer Ownership 0 (owner registers with the rendezvous server, messages 20-23; go-fdo to0.go). */

export type To0Hello = EmptyMessage;

export function decodeTo0Hello(bytes: Uint8Array): To0Hello {
  return decodeEmptyMessage(bytes, 'TO0.Hello');
}

export function encodeTo0Hello(_msg: To0Hello = {}): Uint8Array {
  return encodeEmptyMessage();
}

/** TO0.HelloAck (21): `[NonceTO0Sign]`. */
export interface To0HelloAck {
  nonceTo0Sign: Uint8Array;
}

export function decodeTo0HelloAck(bytes: Uint8Array): To0HelloAck {
  const [nonce] = asArray(decode(bytes), 'TO0.HelloAck', 1);
  return { nonceTo0Sign: readNonce(nonce, 'TO0.HelloAck.nonceTo0Sign') };
}

export function encodeTo0HelloAck(msg: To0HelloAck): Uint8Array {
  return encode([checkBytes(msg.nonceTo0Sign, NONCE_LENGTH, 'TO0.HelloAck.nonceTo0Sign')]);
}

/**
 * TO0.OwnerSign (22): `[to0d, to1d]`. to0d is a byte string wrapping `[OV, WaitSeconds,
 * NonceTO0Sign]`; its exact bytes are what to1d's to0dHash covers, so they are kept as received.
 * to1d is the owner-signed COSE_Sign1 over `[[RVTO2Addr...], to0dHash]` (payload codec in to1d.ts).
 */
export interface To0OwnerSign {
  /** The wrapped to0d bytes (decode with decodeTo0d). */
  to0d: RawCbor;
  to1d: RawCbor;
}

export function decodeTo0OwnerSign(bytes: Uint8Array): To0OwnerSign {
  const { items, raw } = readArrayBody(bytes, 'TO0.OwnerSign', 2);
  const to0d = readWrappedCbor(items[0], 'TO0.OwnerSign.to0d').raw;
  decodeTo0d(to0d.bytes);
  return { to0d, to1d: readCoseSign1Raw(items[1], raw[1]!, 'TO0.OwnerSign.to1d') };
}

export function encodeTo0OwnerSign(msg: To0OwnerSign): Uint8Array {
  return encode([msg.to0d.bytes, msg.to1d]);
}

/** to0d `[OwnershipVoucher, WaitSeconds, NonceTO0Sign]`; the voucher stays RawCbor for the voucher codec. */
export interface To0d {
  ownershipVoucher: RawCbor;
  waitSeconds: number;
  nonceTo0Sign: Uint8Array;
}

export function decodeTo0d(bytes: Uint8Array): To0d {
  const { items, raw } = readArrayBody(bytes, 'to0d', 3);
  asArray(items[0], 'to0d.ownershipVoucher');
  return {
    ownershipVoucher: new RawCbor(raw[0]!),
    waitSeconds: readUintMax(items[1], 0xffffffff, 'to0d.waitSeconds'),
    nonceTo0Sign: readNonce(items[2], 'to0d.nonceTo0Sign'),
  };
}

/** Encodes to0d; the result is both the byte string in TO0.OwnerSign and the input of to0dHash. */
export function encodeTo0d(to0d: To0d): Uint8Array {
  return encode([
    to0d.ownershipVoucher,
    checkUintMax(to0d.waitSeconds, 0xffffffff, 'to0d.waitSeconds'),
    checkBytes(to0d.nonceTo0Sign, NONCE_LENGTH, 'to0d.nonceTo0Sign'),
  ]);
}

/** TO0.AcceptOwner (23): `[WaitSeconds]`, the registration time the RV granted. */
export interface To0AcceptOwner {
  waitSeconds: number;
}

export function decodeTo0AcceptOwner(bytes: Uint8Array): To0AcceptOwner {
  const [wait] = asArray(decode(bytes), 'TO0.AcceptOwner', 1);
  return { waitSeconds: readUintMax(wait, 0xffffffff, 'TO0.AcceptOwner.waitSeconds') };
}

export function encodeTo0AcceptOwner(msg: To0AcceptOwner): Uint8Array {
  return encode([checkUintMax(msg.waitSeconds, 0xffffffff, 'TO0.AcceptOwner.waitSeconds')]);
}
