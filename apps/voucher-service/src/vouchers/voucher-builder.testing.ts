import { randomBytes, type KeyObject } from 'node:crypto';
import {
  computeFdoHash,
  computeFdoHmac,
  createSoftwareSigner,
  createVoucher,
  encode,
  encodeOvHeader,
  encodePublicKey,
  extendVoucher,
  HashAlg,
  newGuid,
  type OwnershipVoucher,
  readVoucher,
  RvVariable,
  voucherToPem,
} from '@ztp/protocol';
import { fixtureText } from '@ztp/protocol/fdo/voucher/fixtures.testing';

/**
 * Test vouchers: a fresh GUID each, over go-fdo's device certificate chain (one device chain
 * reused, so thousands are quick to make). `manufacture` builds a 0-entry voucher for any
 * manufacturer public key (no private key needed: nothing is signed); `extendTo` signs one more
 * entry with a local private key.
 */
const deviceChain = readVoucher(fixtureText('fdo/go-fdo/ov.pem')).deviceCertChain!;
const chainHash = computeFdoHash(HashAlg.SHA256, deviceChain);

export function manufacture(manufacturerKey: KeyObject, deviceInfo = 'ledger test device'): OwnershipVoucher {
  const header = encodeOvHeader({
    guid: newGuid(),
    rendezvousInfo: [[[RvVariable.Dns, encode('rv.example.com')]]],
    deviceInfo,
    manufacturerKey: encodePublicKey(manufacturerKey),
    certChainHash: chainHash,
  });
  return createVoucher({
    header,
    headerHmac: computeFdoHmac(HashAlg.HMAC_SHA256, randomBytes(32), header.bytes),
    deviceCertChain: deviceChain,
  });
}

export async function extendTo(
  voucher: OwnershipVoucher,
  ownerPrivateKey: KeyObject,
  nextOwner: KeyObject,
): Promise<OwnershipVoucher> {
  return extendVoucher(voucher, createSoftwareSigner(ownerPrivateKey), nextOwner, { verify: false });
}

export function pemOf(vouchers: readonly OwnershipVoucher[]): string {
  return vouchers.map((voucher) => voucherToPem(voucher)).join('');
}
