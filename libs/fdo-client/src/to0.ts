import {
  computeFdoHash,
  decodeTo0AcceptOwner,
  decodeTo0HelloAck,
  encode,
  encodeTo0d,
  encodeTo0Hello,
  encodeTo0OwnerSign,
  encodeTo1dPayload,
  fdoDigestToCbor,
  HashAlg,
  MessageType,
  parseVoucher,
  RawCbor,
  samePublicKey,
  sigAlgsForPkType,
  signSign1,
  voucherOwnerKey,
  type OwnershipVoucher,
  type RvTo2Addr,
  type Signer,
} from '@ztp/protocol';
import { type FdoHttpSession } from './http-transport';

/** TO0 could not be attempted with what the caller gave (nothing was sent). */
export class To0RequestError extends Error {
  override readonly name = 'To0RequestError';
}

export interface To0Registration {
  /** The voucher to register: parsed, or its exact CBOR bytes. */
  voucher: OwnershipVoucher | Uint8Array;
  /** Signs as the voucher's current owner (its last entry's key). */
  ownerSigner: Signer;
  /** Where devices reach the owner for TO2 (RVTO2Addr, TransportProtocol numbering). */
  to2Addresses: RvTo2Addr[];
  /** Registration lifetime asked for, in seconds (the rendezvous server may grant less or more). */
  waitSeconds: number;
}

export interface To0Outcome {
  /** The lifetime the rendezvous server granted (TO0.AcceptOwner), in seconds. */
  waitSeconds: number;
  /** The to1d blob this registration stored, as signed (the server hands it to the device verbatim). */
  to1d: Uint8Array;
}

/**
 * The owner side of TO0 against one rendezvous server (go-fdo to0.go): Hello (20) -> HelloAck (21)
 * with NonceTO0Sign; OwnerSign (22) with to0d = [voucher, WaitSeconds, nonce] and to1d, the owner's
 * COSE_Sign1 over [RVTO2Addr[], Hash(to0d)] -> AcceptOwner (23). The to0d hash uses the voucher's
 * entry hash algorithm (SHA-256 when it has no entries), as go-fdo does. `session` must be fresh:
 * it carries this run's token. A 255 reply rejects with FdoErrorReply (its `code` says why).
 */
export async function runTo0(session: FdoHttpSession, registration: To0Registration): Promise<To0Outcome> {
  const voucher =
    registration.voucher instanceof Uint8Array ? parseVoucher(registration.voucher) : registration.voucher;
  const ownerKey = voucherOwnerKey(voucher);
  const { ownerSigner } = registration;
  if (!samePublicKey(ownerKey, ownerSigner.publicKey))
    throw new To0RequestError("the signer's key is not the voucher's current owner key");
  if (!sigAlgsForPkType(ownerKey.type).includes(ownerSigner.alg))
    throw new To0RequestError(
      `the owner key's type does not allow signing with algorithm ${ownerSigner.alg}`,
    );
  if (registration.to2Addresses.length === 0)
    throw new To0RequestError('at least one owner (TO2) address is needed');
  if (!Number.isInteger(registration.waitSeconds) || registration.waitSeconds < 0)
    throw new To0RequestError(`waitSeconds ${registration.waitSeconds} is not a whole number of seconds`);

  const helloAck = await session.send(MessageType.TO0Hello, encodeTo0Hello(), MessageType.TO0HelloAck);
  const { nonceTo0Sign } = decodeTo0HelloAck(helloAck.body);

  const to0d = encodeTo0d({
    ownershipVoucher: new RawCbor(voucher.bytes),
    waitSeconds: registration.waitSeconds,
    nonceTo0Sign,
  });
  const hashAlg = voucher.entries[0]?.prevHash.alg ?? HashAlg.SHA256;
  const to1dPayload = encodeTo1dPayload({
    rvTo2Addrs: registration.to2Addresses,
    to0dHash: new RawCbor(encode(fdoDigestToCbor(computeFdoHash(hashAlg, to0d)))),
  });
  const to1d = await signSign1(ownerSigner, to1dPayload);
  const accept = await session.send(
    MessageType.TO0OwnerSign,
    encodeTo0OwnerSign({ to0d: new RawCbor(to0d), to1d: new RawCbor(to1d.bytes) }),
    MessageType.TO0AcceptOwner,
  );
  return { waitSeconds: decodeTo0AcceptOwner(accept.body).waitSeconds, to1d: to1d.bytes };
}
