import { type GetBootstrappingDataOutput } from './bootstrap-server';
import { openConveyedInformation, type OpenedConveyedInformation } from './conveyed-info-cms';
import { SztpVerificationError } from './errors';
import { pinnedDomainCertificate, verifyOwnerCertificate } from './owner-certificate';
import { verifyVoucher, type VerifiedVoucher, type VoucherTrust } from './voucher-cms';
import { type VoucherParseOptions } from './voucher';

export interface VerifyBootstrappingDataOptions {
  /** Trust in the manufacturer (MASA) signing the voucher. */
  readonly manufacturerTrust: VoucherTrust;
  /** The device's serial number. */
  readonly serialNumber: string;
  /** The nonce the device sent, if any. */
  readonly nonce?: Uint8Array;
  readonly idevidIssuer?: Uint8Array;
  /** No clock is read: pass the device's notion of now to check expiry and validity. */
  readonly now?: Date;
  /** Accept unsigned data (the bootstrap server is trusted via TLS). Default false. */
  readonly trustedServer?: boolean;
  readonly voucherParse?: VoucherParseOptions;
}

export interface VerifiedBootstrappingData {
  readonly conveyed: OpenedConveyedInformation;
  /** Present when the data was signed. */
  readonly voucher?: VerifiedVoucher;
  readonly ownerCertificate?: Uint8Array;
}

/**
 * What an RFC 8572 device does with a get-bootstrapping-data output (section 5.4, in Cisco
 * IOS-XE's order): verify the voucher against the manufacturer, check serial-number / nonce /
 * expiry, check that the owner certificate chains to pinned-domain-cert, then verify the conveyed
 * information with the owner certificate. Unsigned data is only accepted from a trusted server,
 * except redirect information, which RFC 8572 lets a device follow from an untrusted one.
 */
export function verifyBootstrappingData(
  output: GetBootstrappingDataOutput,
  options: VerifyBootstrappingDataOptions,
): VerifiedBootstrappingData {
  if (output.ownershipVoucher === undefined || output.ownerCertificate === undefined) {
    const conveyed = openConveyedInformation(output.conveyedInformation, { allowUnsigned: true });
    if (conveyed.signed) {
      throw new SztpVerificationError(
        'signer-not-found',
        'signed conveyed information came without owner certificate and voucher',
      );
    }
    if (!options.trustedServer && conveyed.info.kind !== 'redirect-information') {
      throw new SztpVerificationError(
        'signature-required',
        'unsigned onboarding information from an untrusted server',
      );
    }
    return { conveyed };
  }
  const voucher = verifyVoucher(output.ownershipVoucher, {
    trust: options.manufacturerTrust,
    serialNumber: options.serialNumber,
    ...(options.nonce ? { nonce: options.nonce } : {}),
    ...(options.idevidIssuer ? { idevidIssuer: options.idevidIssuer } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.voucherParse ? { parse: options.voucherParse } : {}),
  });
  const owner = verifyOwnerCertificate(output.ownerCertificate, pinnedDomainCertificate(voucher.voucher), {
    ...(options.now ? { now: options.now } : {}),
  });
  const conveyed = openConveyedInformation(output.conveyedInformation, {
    ownerCertificate: owner.ownerCertificate,
    allowUnsigned: false,
  });
  return { conveyed, voucher, ownerCertificate: owner.ownerCertificate };
}
