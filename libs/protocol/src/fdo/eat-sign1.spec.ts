import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSoftwareSigner } from '../cose/software-signer';
import { MessageType } from './constants';
import { newEatPayload, proveDeviceFdoClaim } from './eat';
import { decodeSignedEat, signEat, verifyEat } from './eat-sign1';
import { decodeMessage, decodeTo0d, FdoMessageError } from './messages';
import { captureBodies } from './messages/captures.testing';
import { parseVoucher, voucherDevicePublicKey } from './voucher';

const body = (file: string) => captureBodies('to0').find((c) => c.file === file)!.bytes;

/** The device key, from the voucher the owner registered in TO0.OwnerSign of the same capture. */
function deviceKey() {
  const ownerSign = decodeMessage(MessageType.TO0OwnerSign, body('005-msg22-req.hex'));
  const voucher = parseVoucher(decodeTo0d(ownerSign.to0d.bytes).ownershipVoucher.bytes);
  return { key: voucherDevicePublicKey(voucher)!, guid: voucher.header.guid };
}

describe('EATs from go-fdo', () => {
  it('TO1.ProveToRV verifies with the voucher device key against the HelloRVAck nonce', () => {
    const { key, guid } = deviceKey();
    const nonce = decodeMessage(MessageType.TO1HelloRVAck, body('008-msg30-resp31.hex')).nonceTo1Proof;
    const eat = decodeSignedEat(body('009-msg32-req.hex'));
    expect(() => verifyEat(eat, key, { nonce, guid })).not.toThrow();
    const staleNonce = decodeMessage(MessageType.TO1HelloRVAck, body('006-msg30-resp31.hex')).nonceTo1Proof;
    expect(() => verifyEat(eat, key, { nonce: staleNonce, guid })).toThrow(/nonce does not match/);
  });

  it('TO2.ProveDevice verifies against the CUPHNonce of ProveOVHdr and carries EUPHNonce', () => {
    const { key, guid } = deviceKey();
    const eat = decodeSignedEat(body('012-msg64-req.hex'));
    expect(eat.unprotected.euphNonce?.length).toBe(16);
    expect(() => verifyEat(eat, key, { nonce: eat.payload.nonce, guid })).not.toThrow();
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    expect(() => verifyEat(eat, otherKey, { nonce: eat.payload.nonce, guid })).toThrow(
      /signature does not verify/,
    );
  });
});

describe('signEat', () => {
  it('produces an EAT that decodes and verifies, and fails typed on a wrong GUID or key type', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const guid = new Uint8Array(16).fill(5);
    const nonce = new Uint8Array(16).fill(6);
    const setupNonce = new Uint8Array(16).fill(7);
    const signed = await signEat(
      createSoftwareSigner(privateKey),
      newEatPayload(guid, nonce, proveDeviceFdoClaim(new Uint8Array(65))),
      { euphNonce: setupNonce },
    );
    expect(signed.bytes[0]).toBe(0xd2);
    const eat = decodeSignedEat(signed.bytes);
    expect(eat.unprotected.euphNonce).toEqual(setupNonce);
    verifyEat(eat, publicKey, { nonce, guid });
    expect(() => verifyEat(eat, publicKey, { nonce, guid: new Uint8Array(16) })).toThrow(FdoMessageError);
    const wrongType = generateKeyPairSync('ed25519').publicKey;
    const err = (() => {
      try {
        verifyEat(eat, wrongType, { nonce, guid });
      } catch (e) {
        return e as FdoMessageError;
      }
    })();
    expect(err).toBeInstanceOf(FdoMessageError);
    expect(err?.code).toBe(101);
  });
});
