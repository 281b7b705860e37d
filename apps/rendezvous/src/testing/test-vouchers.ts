import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import {
  computeFdoHash,
  computeFdoHmac,
  createSoftwareSigner,
  createVoucher,
  encodeOvHeader,
  encodePublicKey,
  extendVoucher,
  HashAlg,
  newGuid,
  rendezvousInfoToCbor,
  type OwnershipVoucher,
  type RendezvousInfo,
  type Signer,
} from '@ztp/protocol';
import { issueCertificate, type TestIdentity } from '@ztp/protocol/sztp/pki.testing';

/**
 * Test devices and vouchers for the rendezvous tests, benchmark and end-to-end test: a device with
 * a P-256 attestation key and certificate (self-signed, or issued by a test device CA), and a
 * voucher for it extended to the given owners. Test use only.
 */

export interface TestDevice {
  readonly guid: Uint8Array;
  /** The device attestation key, as the device signs EATs with it. */
  readonly signer: Signer;
  /** Device certificate chain, DER, leaf first. */
  readonly chain: Uint8Array[];
}

export const p256Key = (): KeyObject => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

export function newDeviceCa(): Promise<TestIdentity> {
  return issueCertificate({ subject: 'CN=Test Device CA', ca: true });
}

export async function newTestDevice(ca?: TestIdentity): Promise<TestDevice> {
  const guid = newGuid();
  const leaf = await issueCertificate({
    subject: `CN=device ${Buffer.from(guid).toString('hex')}`,
    ...(ca ? { issuer: ca } : {}),
  });
  return {
    guid,
    signer: createSoftwareSigner(leaf.privateKey),
    chain: ca ? [leaf.certificate, ca.certificate] : [leaf.certificate],
  };
}

/** A voucher for `device` made by `manufacturer` and extended along `owners` (last = current owner). */
export async function ownedVoucher(
  device: TestDevice,
  manufacturer: KeyObject,
  owners: KeyObject[],
  rendezvousInfo: RendezvousInfo = [],
): Promise<OwnershipVoucher> {
  const header = encodeOvHeader({
    guid: device.guid,
    rendezvousInfo: rendezvousInfoToCbor(rendezvousInfo),
    deviceInfo: 'rendezvous test device',
    manufacturerKey: encodePublicKey(manufacturer),
    certChainHash: computeFdoHash(HashAlg.SHA256, device.chain),
  });
  let voucher = createVoucher({
    header,
    headerHmac: computeFdoHmac(HashAlg.HMAC_SHA256, randomBytes(32), header.bytes),
    deviceCertChain: device.chain,
  });
  let signer = manufacturer;
  for (const owner of owners) {
    voucher = await extendVoucher(voucher, createSoftwareSigner(signer), owner);
    signer = owner;
  }
  return voucher;
}
