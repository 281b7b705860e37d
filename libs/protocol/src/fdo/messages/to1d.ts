import { encode, type RawCbor } from '../../cbor';
import { rvTo2AddrsFromCbor, rvTo2AddrsToCbor, type RvTo2Addr } from '../rvto2addr';
import { readArrayBody, readHashRaw } from './fields';

/**
 * The to1d payload `[[RVTO2Addr...], to0dHash]`, signed by the owner (COSE_Sign1) in TO0.OwnerSign
 * and handed to the device in TO1.RVRedirect. to0dHash is Hash(to0d bytes), kept RawCbor.
 */
export interface To1dPayload {
  rvTo2Addrs: RvTo2Addr[];
  to0dHash: RawCbor;
}

export function decodeTo1dPayload(bytes: Uint8Array): To1dPayload {
  const { items, raw } = readArrayBody(bytes, 'to1d', 2);
  return {
    rvTo2Addrs: rvTo2AddrsFromCbor(items[0], 'to1d.rvTo2Addrs'),
    to0dHash: readHashRaw(items[1], raw[1]!, 'to1d.to0dHash'),
  };
}

export function encodeTo1dPayload(payload: To1dPayload): Uint8Array {
  return encode([rvTo2AddrsToCbor(payload.rvTo2Addrs), payload.to0dHash]);
}
