import { type KeyObject, type X509Certificate } from 'node:crypto';
import { concatBytes, encodeHead } from '../../cbor';
import { signSign1 } from '../../cose/sign1';
import { type Signer } from '../../cose/signer';
import { CryptoError } from '../../crypto/errors';
import { computeFdoHash } from '../../crypto/fdo-hash';
import { keyHashClass, sameKeyProfile } from '../../crypto/keys';
import { sigAlgName } from '../../crypto/signature';
import { HashAlg, PkEnc } from '../constants';
import {
  encodePublicKey,
  pkTypeName,
  samePublicKey,
  sigAlgsForPkType,
  type FdoPublicKey,
} from '../public-key';
import { encodeOvEntryPayload, type OvExtra } from './entry';
import { VoucherError } from './errors';
import { hdrInfoData, prevEntryData, verifyVoucher } from './verify';
import { parseVoucher, voucherDevicePublicKey, voucherOwnerKey, type OwnershipVoucher } from './voucher';

/** The next owner: a public key, or a certificate chain (leaf first) written as X5CHAIN. */
export type NextOwner = KeyObject | readonly X509Certificate[];

export interface ExtendVoucherOptions {
  /** OVEExtra for the new entry. Default none (null). */
  extra?: OvExtra | null;
  /** Verify the voucher before extending it. Default true; skip only for a voucher just verified. */
  verify?: boolean;
}

/**
 * Entry hash algorithm for a voucher's first entry (FDO 1.1 3.3.2, go-fdo hashAlgFor): SHA-384
 * when both the device key and the owner key are 384-bit class (P-384, RSA >= 3072), else SHA-256.
 */
export function entryHashAlgFor(deviceKey: KeyObject | null, ownerKey: KeyObject): number {
  const classes = [keyHashClass(ownerKey), ...(deviceKey ? [keyHashClass(deviceKey)] : [])];
  return classes.every((c) => c === 384) ? HashAlg.SHA384 : HashAlg.SHA256;
}

function nextOwnerKey(manufacturerKey: FdoPublicKey, nextOwner: NextOwner): FdoPublicKey {
  // The next key copies the manufacturer key's type; a bare key copies its encoding too (COSEKEY
  // stays COSEKEY, anything else becomes X509); a certificate chain becomes X5CHAIN.
  const encoding = manufacturerKey.encoding === PkEnc.COSEKEY ? PkEnc.COSEKEY : PkEnc.X509;
  let next: FdoPublicKey;
  try {
    next = encodePublicKey(nextOwner, { type: manufacturerKey.type, encoding });
  } catch (err) {
    if (!(err instanceof CryptoError)) throw err;
    throw new VoucherError('key-type-mismatch', `next owner key: ${err.message}`, { cause: err });
  }
  if (!sameKeyProfile(next.key, manufacturerKey.key))
    throw new VoucherError(
      'key-type-mismatch',
      `the next owner key differs in curve or size from the manufacturer key (${pkTypeName(manufacturerKey.type)})`,
    );
  return next;
}

/**
 * Signs the voucher over to the next owner: appends an OVEntry signed by `signer`, whose public key
 * must be the current owner key. Returns a new voucher; the existing bytes are reused unchanged.
 * The entry hash algorithm is entry 0's when there are entries, else per entryHashAlgFor.
 * Refuses ('not-owner') a signer that is not the current owner and ('key-type-mismatch') a signer
 * algorithm the manufacturer pkType does not allow or a next key of another type, curve or size.
 */
export async function extendVoucher(
  voucher: OwnershipVoucher,
  signer: Signer,
  nextOwner: NextOwner,
  options: ExtendVoucherOptions = {},
): Promise<OwnershipVoucher> {
  if (options.verify !== false) verifyVoucher(voucher);
  const { header, entries } = voucher;
  const manufacturerKey = header.manufacturerKey;
  if (!samePublicKey(signer.publicKey, voucherOwnerKey(voucher)))
    throw new VoucherError('not-owner', 'the signing key is not the current owner key of this voucher');
  if (!sigAlgsForPkType(manufacturerKey.type).includes(signer.alg))
    throw new VoucherError(
      'key-type-mismatch',
      `${sigAlgName(signer.alg)} signatures are not allowed for ${pkTypeName(manufacturerKey.type)} vouchers`,
    );
  const next = nextOwnerKey(manufacturerKey, nextOwner);

  const hashAlg =
    entries[0]?.prevHash.alg ?? entryHashAlgFor(voucherDevicePublicKey(voucher), signer.publicKey);
  const payload = encodeOvEntryPayload({
    prevHash: computeFdoHash(hashAlg, prevEntryData(voucher, entries.length)),
    hdrInfoHash: computeFdoHash(hashAlg, hdrInfoData(header)),
    extra: options.extra ?? null,
    publicKey: next,
  });
  const entry = await signSign1(signer, payload, { tagged: true });

  const [version, headerBstr, hmac, chain] = voucher.elementBytes;
  const bytes = concatBytes([
    encodeHead(4, 5),
    version,
    headerBstr,
    hmac,
    chain,
    encodeHead(4, entries.length + 1),
    ...entries.map((e) => e.bytes),
    entry.bytes,
  ]);
  return parseVoucher(bytes);
}
