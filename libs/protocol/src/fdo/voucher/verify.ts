import { type X509Certificate } from 'node:crypto';
import { concatBytes } from '../../cbor';
import { verifySign1 } from '../../cose/sign1';
import { verifyCertificateChain } from '../../crypto/cert-chain';
import { CryptoError } from '../../crypto/errors';
import { fdoHashMatches, fdoHmacMatches } from '../../crypto/fdo-hash';
import { sameKeyProfile } from '../../crypto/keys';
import { sigAlgName } from '../../crypto/signature';
import { pkTypeName, sigAlgsForPkType, type FdoPublicKey } from '../public-key';
import { type OvEntry } from './entry';
import { VoucherError } from './errors';
import { type OvHeader } from './header';
import { voucherDeviceCertificates, type OwnershipVoucher } from './voucher';

export interface VerifyVoucherOptions {
  /** Validate the device certificate chain against these CAs (signatures, validity, CA flags). */
  trustedDeviceCas?: readonly X509Certificate[];
  /** The device's HMAC secret: when given, the header HMAC is checked too (device side, DI tests). */
  hmacSecret?: Uint8Array;
  /** Clock for certificate validity. Default now. */
  now?: Date;
}

/** hdrInfo = GUID || DeviceInfo (UTF-8): what OVEHashHdrInfo hashes. */
export function hdrInfoData(header: OvHeader): Uint8Array {
  return concatBytes([header.guid, new TextEncoder().encode(header.deviceInfo)]);
}

/**
 * What entry `index`'s previous-entry hash covers: for entry 0, the OVHeader bytes (the bstr
 * contents) followed by the OVHeaderHMac CBOR (go-fdo voucher.go); for later entries, the entire
 * previous tagged COSE_Sign1.
 */
export function prevEntryData(voucher: OwnershipVoucher, index: number): readonly Uint8Array[] {
  if (index === 0) return [voucher.header.bytes, voucher.elementBytes[2]];
  const previous = voucher.entries[index - 1];
  if (!previous) throw new RangeError(`voucher has no entry ${index - 1}`);
  return [previous.bytes];
}

/** Checks OVHeaderHMac against the device secret. */
export function verifyHeaderHmac(voucher: OwnershipVoucher, hmacSecret: Uint8Array): void {
  if (!fdoHmacMatches(voucher.headerHmac, hmacSecret, voucher.header.bytes))
    throw new VoucherError('bad-hmac', 'the header HMAC does not match the device secret');
}

/**
 * Checks the device certificate chain against the header's hash of it (both present or both null).
 * The FDO 1.1 hash (and go-fdo's) is over the concatenated DER certificates. Vouchers made by
 * older fido-device-onboard-rs releases hash the CBOR array instead (fixture v101-voucher1); that
 * form is accepted too, since both cover exactly the same certificates.
 */
export function verifyCertChainHash(voucher: OwnershipVoucher): void {
  const expected = voucher.header.certChainHash;
  const chain = voucher.deviceCertChain;
  if (!expected && !chain) return;
  if (!expected || !chain)
    throw new VoucherError(
      'bad-cert-chain-hash',
      'the device certificate chain and its hash must both be present or both be null',
    );
  if (!fdoHashMatches(expected, chain) && !fdoHashMatches(expected, voucher.elementBytes[3]))
    throw new VoucherError(
      'bad-cert-chain-hash',
      'the device certificate chain does not match the hash in the header',
    );
}

/** Validates the device certificate chain against trusted device CAs. */
export function verifyDeviceChainTrust(
  voucher: OwnershipVoucher,
  trustedCas: readonly X509Certificate[],
  now?: Date,
): void {
  const certificates = voucherDeviceCertificates(voucher);
  if (!certificates)
    throw new VoucherError('untrusted-device-chain', 'the voucher has no device certificate chain');
  try {
    verifyCertificateChain(certificates, trustedCas, now);
  } catch (err) {
    if (!(err instanceof CryptoError)) throw err;
    throw new VoucherError('untrusted-device-chain', `device certificate chain: ${err.message}`, {
      cause: err,
    });
  }
}

function checkKeyType(manufacturerKey: FdoPublicKey, key: FdoPublicKey, index: number): void {
  if (key.type !== manufacturerKey.type || !sameKeyProfile(key.key, manufacturerKey.key))
    throw new VoucherError(
      'key-type-mismatch',
      `the next owner key (${pkTypeName(key.type)}) differs in type or size from the manufacturer key (${pkTypeName(manufacturerKey.type)})`,
      { entry: index },
    );
}

function checkSignature(entry: OvEntry, signingKey: FdoPublicKey, index: number): void {
  let valid: boolean;
  try {
    valid = verifySign1(entry.sign1, signingKey.key, { allowedAlgs: sigAlgsForPkType(signingKey.type) });
  } catch (err) {
    if (!(err instanceof CryptoError)) throw err;
    throw new VoucherError(
      'bad-entry-signature',
      `${err.message} (signing key ${pkTypeName(signingKey.type)})`,
      {
        entry: index,
        cause: err,
      },
    );
  }
  if (!valid)
    throw new VoucherError(
      'bad-entry-signature',
      `${sigAlgName(entry.sign1.protectedHeader.get(1) as number)} signature does not verify with the ${index === 0 ? 'manufacturer' : 'previous owner'} key`,
      { entry: index },
    );
}

/**
 * Checks the entry chain: entry 0 signed by the manufacturer key and each later entry by the
 * previous entry's key; every hash uses entry 0's algorithm (whatever the curve: some vouchers pair
 * P-256 keys with SHA-384); hdrInfo and previous-entry hashes match; every key has the
 * manufacturer key's type and size.
 */
export function verifyVoucherEntries(voucher: OwnershipVoucher): void {
  const { header, entries } = voucher;
  if (entries.length === 0) return;
  const hashAlg = entries[0]!.prevHash.alg;
  const hdrInfo = hdrInfoData(header);
  let signingKey = header.manufacturerKey;
  entries.forEach((entry, index) => {
    if (entry.prevHash.alg !== hashAlg || entry.hdrInfoHash.alg !== hashAlg)
      throw new VoucherError(
        'hash-alg-mismatch',
        `entry hashes must all use entry 0's algorithm ${hashAlg}`,
        {
          entry: index,
        },
      );
    checkSignature(entry, signingKey, index);
    if (!fdoHashMatches(entry.hdrInfoHash, hdrInfo))
      throw new VoucherError('bad-hdr-info-hash', 'OVEHashHdrInfo is not the hash of GUID || DeviceInfo', {
        entry: index,
      });
    if (!fdoHashMatches(entry.prevHash, prevEntryData(voucher, index)))
      throw new VoucherError(
        'bad-prev-hash',
        index === 0
          ? 'OVEHashPrevEntry is not the hash of OVHeader || OVHeaderHMac'
          : `OVEHashPrevEntry is not the hash of entry ${index - 1}`,
        { entry: index },
      );
    checkKeyType(header.manufacturerKey, entry.publicKey, index);
    signingKey = entry.publicKey;
  });
}

/**
 * Verifies a parsed voucher; throws VoucherError naming the first problem. Checks the device
 * certificate chain hash, the entry chain (verifyVoucherEntries), and optionally the header HMAC
 * (with the device secret) and the device chain against trusted CAs.
 */
export function verifyVoucher(voucher: OwnershipVoucher, options: VerifyVoucherOptions = {}): void {
  if (options.hmacSecret) verifyHeaderHmac(voucher, options.hmacSecret);
  verifyCertChainHash(voucher);
  if (options.trustedDeviceCas) verifyDeviceChainTrust(voucher, options.trustedDeviceCas, options.now);
  verifyVoucherEntries(voucher);
}
