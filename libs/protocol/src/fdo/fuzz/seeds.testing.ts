import { decode, encode, Tagged, type CborValue } from '../../cbor';
import { decodeDiAppStart, decodeDiSetCredentials, decodeTo0d, decodeTo0OwnerSign } from '../messages';
import { CAPTURE_FOLDERS, captureBodies, loggedPlaintextBodies } from '../messages/captures.testing';

/**
 * Real bytes to mutate: every go-fdo capture body (encrypted ones included), the logged TO2
 * plaintexts, and the structures nested inside them (COSE payloads, OVHeader, to0d, the voucher,
 * OVEntry, public keys, RendezvousInfo, DeviceMfgInfo, ServiceInfo).
 */
export function fuzzSeeds(): Uint8Array[] {
  const seeds: Uint8Array[] = [];
  const add = (bytes: Uint8Array | null | undefined) => {
    if (bytes && bytes.length > 0) seeds.push(bytes);
  };
  const sign1Parts = (value: CborValue) => {
    const body = value instanceof Tagged ? value.value : value;
    if (!Array.isArray(body)) return;
    const [, unprotected, payload] = body;
    if (payload instanceof Uint8Array) add(payload);
    if (unprotected instanceof Map) for (const item of unprotected.values()) add(encode(item));
  };

  for (const folder of CAPTURE_FOLDERS) {
    for (const body of captureBodies(folder)) {
      add(body.bytes);
      const value = decode(body.bytes);
      if (value instanceof Tagged && value.tag === 18) sign1Parts(value);
      if (body.type === 10) add(decodeDiAppStart(body.bytes).deviceMfgInfo);
      if (body.type === 11) {
        const header = decodeDiSetCredentials(body.bytes).ovHeader;
        add(header.bytes);
        add(encode((header.decode() as CborValue[])[2]));
      }
      if (body.type === 22) {
        const ownerSign = decodeTo0OwnerSign(body.bytes);
        add(ownerSign.to0d.bytes);
        add(decodeTo0d(ownerSign.to0d.bytes).ownershipVoucher.bytes);
        add(ownerSign.to1d.bytes);
      }
      if (body.type === 63) add(encode((value as CborValue[])[1]));
    }
    for (const logged of loggedPlaintextBodies(folder)) {
      add(encode(logged.value));
      if (logged.value instanceof Tagged) sign1Parts(logged.value);
      if (logged.type === 68 || logged.type === 69) add(encode((logged.value as CborValue[]).at(-1)));
    }
  }
  return seeds;
}
