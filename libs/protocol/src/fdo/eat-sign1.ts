import { type KeyObject } from 'node:crypto';
import { CborError } from '../cbor';
import { decodeSign1, signSign1, verifySign1, type EncodedCoseSign1 } from '../cose/sign1';
import { type Signer } from '../cose/signer';
import { CryptoError } from '../crypto/errors';
import { ErrorCode } from './constants';
import {
  decodeEatPayload,
  eatUnprotectedFromCbor,
  eatUnprotectedToCbor,
  encodeEatPayload,
  type EatPayload,
  type EatUnprotectedHeaders,
} from './eat';
import { guidsEqual } from './guid';
import { FdoMessageError } from './messages/errors';

/** An EAT as a device sends it (TO1.ProveToRV, TO2.ProveDevice): COSE_Sign1 plus its decoded parts. */
export interface SignedEat {
  sign1: EncodedCoseSign1;
  payload: EatPayload;
  unprotected: EatUnprotectedHeaders;
}

/** Signs an EAT with the device key, e.g. for a device simulator. Tagged COSE_Sign1, as go-fdo sends. */
export async function signEat(
  signer: Signer,
  payload: EatPayload,
  unprotected: EatUnprotectedHeaders = {},
): Promise<EncodedCoseSign1> {
  return signSign1(signer, encodeEatPayload(payload), {
    unprotectedHeader: eatUnprotectedToCbor(unprotected),
  });
}

/** Decodes an EAT message body (structure only; verifyEat checks the signature and claims). */
export function decodeSignedEat(bytes: Uint8Array, what = 'EAT'): SignedEat {
  const sign1 = decodeSign1(bytes);
  if (sign1.payload === null) throw new CborError('unexpected-type', `${what}: payload missing`);
  return {
    sign1,
    payload: decodeEatPayload(sign1.payload),
    unprotected: eatUnprotectedFromCbor(new Map(sign1.unprotectedHeader), `${what} unprotected`),
  };
}

/**
 * Checks an EAT the way the RV (TO1) and the owner (TO2) must: signed by the device key from the
 * voucher, answering the nonce this server issued, for the GUID in question. Any failure is an
 * FdoMessageError with InvalidMessageError (101), the code go-fdo answers with.
 */
export function verifyEat(
  eat: SignedEat,
  devicePublicKey: KeyObject,
  expected: { nonce: Uint8Array; guid: Uint8Array },
): void {
  const invalid = (why: string) => new FdoMessageError(ErrorCode.InvalidMessageError, `EAT ${why}`);
  let verified: boolean;
  try {
    verified = verifySign1(eat.sign1, devicePublicKey);
  } catch (err) {
    if (err instanceof CryptoError) throw invalid(`signature unusable: ${err.message}`);
    throw err;
  }
  if (!verified) throw invalid('signature does not verify');
  if (!Buffer.from(eat.payload.nonce).equals(Buffer.from(expected.nonce)))
    throw invalid('nonce does not match');
  if (!guidsEqual(eat.payload.guid, expected.guid)) throw invalid('UEID does not match the GUID');
}
