import { bytesEqual } from './binary';
import { parseCertificate } from './cms/certificate';
import { buildCertificatePath } from './cms/path';
import { signCms, verifySignedData, type SignOptions } from './cms/signed-data';
import { type CmsSigner } from './cms/signer';
import { SztpPayloadError, SztpVerificationError } from './errors';
import { Oid } from './oids';
import {
  checkVoucher,
  dateAndTimeToMillis,
  encodeVoucherJson,
  parseVoucherJson,
  type Voucher,
  type VoucherParseOptions,
} from './voucher';

/**
 * CMS-signed vouchers (RFC 8366 section 5.3; RFC 8572 section 3.3 with errata 6807): SignedData
 * whose eContentType is id-ct-animaJSONVoucher or id-data, signed by the MASA.
 */
export const VOUCHER_CONTENT_TYPES: readonly string[] = [Oid.animaJsonVoucher, Oid.data];

/** How the voucher signer is trusted. */
export type VoucherTrust =
  /** The MASA certificate is pinned: the signature must verify with exactly this certificate. */
  | { readonly masaCertificate: Uint8Array }
  /** The signer (found in the CMS) must chain to one of these anchors, at `now` when given. */
  | { readonly trustAnchors: readonly Uint8Array[]; readonly intermediates?: readonly Uint8Array[] }
  /**
   * Integrity only: the signature is checked with the signer certificate carried in the CMS, which
   * is not itself trusted. For inspecting artifacts, never for accepting ownership.
   */
  | { readonly signatureOnly: true };

export interface VerifyVoucherOptions {
  readonly trust: VoucherTrust;
  /** Instant for expires-on and certificate validity checks (no clock is read; omit to skip). */
  readonly now?: Date;
  /** The device's serial number; must equal the voucher's. */
  readonly serialNumber?: string;
  /** The device's IDevID authority key identifier; checked when the voucher carries one. */
  readonly idevidIssuer?: Uint8Array;
  /** The nonce the device sent; a voucher carrying a nonce must carry exactly this one. */
  readonly nonce?: Uint8Array;
  readonly parse?: VoucherParseOptions;
}

export interface VerifiedVoucher {
  readonly voucher: Voucher;
  /** Members skipped in lenient parsing. */
  readonly ignored: readonly string[];
  /** eContentType found: id-ct-animaJSONVoucher or id-data. */
  readonly contentType: string;
  /** DER of the certificate whose key signed. */
  readonly signerCertificate: Uint8Array;
  /** DER certificates carried in the CMS. */
  readonly certificates: readonly Uint8Array[];
}

export function verifyVoucher(artifact: Uint8Array, options: VerifyVoucherOptions): VerifiedVoucher {
  const trust = options.trust;
  const pinned = 'masaCertificate' in trust;
  const verified = verifySignedData(artifact, {
    allowedContentTypes: VOUCHER_CONTENT_TYPES,
    ...(pinned ? { signerCandidates: [trust.masaCertificate] } : {}),
    useEmbeddedCertificates: !pinned,
  });
  if ('trustAnchors' in trust) {
    buildCertificatePath(
      verified.signerCertificate,
      [...verified.certificates, ...(trust.intermediates ?? []).map(parseCertificate)],
      trust.trustAnchors.map(parseCertificate),
      options.now ? { at: options.now } : {},
    );
  } else if (pinned && options.now) {
    buildCertificatePath(verified.signerCertificate, [], [verified.signerCertificate], { at: options.now });
  }

  let parsed: ReturnType<typeof parseVoucherJson>;
  try {
    parsed = parseVoucherJson(verified.content, options.parse);
  } catch (err) {
    if (err instanceof SztpPayloadError) {
      throw new SztpVerificationError('malformed-voucher', `voucher JSON: ${err.message}`, { cause: err });
    }
    throw err;
  }
  const voucher = parsed.voucher;
  if (options.serialNumber !== undefined && voucher.serialNumber !== options.serialNumber) {
    throw new SztpVerificationError(
      'serial-number-mismatch',
      `voucher is for serial-number "${voucher.serialNumber}", not "${options.serialNumber}"`,
    );
  }
  if (
    options.idevidIssuer !== undefined &&
    voucher.idevidIssuer !== undefined &&
    !bytesEqual(voucher.idevidIssuer, options.idevidIssuer)
  ) {
    throw new SztpVerificationError(
      'idevid-issuer-mismatch',
      'voucher idevid-issuer does not match the IDevID',
    );
  }
  if (
    voucher.nonce !== undefined &&
    (options.nonce === undefined || !bytesEqual(voucher.nonce, options.nonce))
  ) {
    throw new SztpVerificationError('nonce-mismatch', 'voucher nonce does not match the nonce sent');
  }
  if (voucher.expiresOn !== undefined && options.now !== undefined) {
    if (options.now.getTime() > dateAndTimeToMillis(voucher.expiresOn, '/ietf-voucher:voucher/expires-on')) {
      throw new SztpVerificationError('voucher-expired', `voucher expired at ${voucher.expiresOn}`);
    }
  }
  return {
    voucher,
    ignored: parsed.ignored,
    contentType: verified.eContentType,
    signerCertificate: verified.signerCertificate.der,
    certificates: verified.certificates.map((c) => c.der),
  };
}

export interface IssueVoucherOptions extends SignOptions {
  /** eContentType: id-ct-animaJSONVoucher (default) or id-data (what open-sztp and anima examples use). */
  readonly contentType?: 'anima-json' | 'id-data';
}

/**
 * MASA side: signs a voucher (validated against RFC 8366 first). The MASA certificate is included
 * by default (`certificates` adds its chain). A nonce-bound voucher is one whose `nonce` is set;
 * it must then have no `expires-on`.
 */
export async function issueVoucher(
  voucher: Voucher,
  signer: CmsSigner,
  options: IssueVoucherOptions = {},
): Promise<Uint8Array> {
  let json: string;
  try {
    checkVoucher(voucher);
    json = encodeVoucherJson(voucher);
  } catch (err) {
    if (err instanceof SztpPayloadError) {
      throw new SztpVerificationError('invalid-input', `voucher: ${err.message}`, { cause: err });
    }
    throw err;
  }
  const contentType = options.contentType === 'id-data' ? Oid.data : Oid.animaJsonVoucher;
  return signCms(new TextEncoder().encode(json), contentType, signer, options);
}
