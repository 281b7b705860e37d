import {
  decodeSign1,
  decodeTo1dPayload,
  decodeTo1HelloRvAck,
  decodeTo1RvRedirect,
  encodeTo1HelloRv,
  encodeTo1ProveToRv,
  MessageType,
  newEatPayload,
  RawCbor,
  signEat,
  sigAlgsForPkType,
  verifySign1,
  type FdoPublicKey,
  type Guid,
  type RvTo2Addr,
  type Signer,
} from '@ztp/protocol';
import { CborError, CryptoError } from '@ztp/protocol';
import { type FdoHttpSession } from './http-transport';

export interface To1Device {
  guid: Guid;
  /** The device attestation key (signs the EAT in TO1.ProveToRV). */
  signer: Signer;
}

export interface To1Outcome {
  /** Where the owner waits for TO2, in the owner's order. */
  to2Addresses: RvTo2Addr[];
  /** The owner-signed to1d exactly as received (check it with verifyTo1dOwner in TO2). */
  to1d: Uint8Array;
}

/**
 * The device side of TO1 against one rendezvous server (go-fdo to1.go): HelloRV (30) with the GUID
 * and eASigInfo -> HelloRVAck (31) with NonceTO1Proof; ProveToRV (32), an EAT signed by the device
 * key carrying that nonce and UEID = 0x01 || GUID -> RVRedirect (33), the owner's to1d. `session`
 * must be fresh (it carries this run's token). A 255 reply rejects with FdoErrorReply: code 6 means
 * no owner has registered this GUID (yet).
 */
export async function runTo1(session: FdoHttpSession, device: To1Device): Promise<To1Outcome> {
  const hello = encodeTo1HelloRv({
    guid: device.guid,
    sigInfoA: { sgType: device.signer.alg, info: new Uint8Array(0) },
  });
  const ack = decodeTo1HelloRvAck(
    (await session.send(MessageType.TO1HelloRV, hello, MessageType.TO1HelloRVAck)).body,
  );
  const eat = await signEat(device.signer, newEatPayload(device.guid, ack.nonceTo1Proof));
  const redirect = await session.send(
    MessageType.TO1ProveToRV,
    encodeTo1ProveToRv({ sign1: new RawCbor(eat.bytes) }),
    MessageType.TO1RVRedirect,
  );
  const to1d = decodeTo1RvRedirect(redirect.body).sign1.bytes;
  const payload = decodeSign1(to1d).payload;
  if (payload === null) throw new CborError('unexpected-type', 'TO1.RVRedirect: to1d has no payload');
  return { to2Addresses: decodeTo1dPayload(payload).rvTo2Addrs, to1d };
}

/**
 * Whether a to1d (from TO1.RVRedirect) was signed by this owner key: the check a device makes in
 * TO2 once it knows the owner key from the voucher (fido-device-onboard-rs issue 81).
 */
export function verifyTo1dOwner(to1d: Uint8Array, ownerKey: FdoPublicKey): boolean {
  try {
    return verifySign1(decodeSign1(to1d), ownerKey.key, { allowedAlgs: sigAlgsForPkType(ownerKey.type) });
  } catch (err) {
    if (err instanceof CborError || err instanceof CryptoError) return false;
    throw err;
  }
}
