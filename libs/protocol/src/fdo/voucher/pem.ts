import { CryptoError } from '../../crypto/errors';
import { parsePemBlocks, toPem } from '../../crypto/pem';
import { VoucherError } from './errors';
import { parseVoucher, type OwnershipVoucher, type ParseVoucherOptions } from './voucher';

export const VOUCHER_PEM_LABEL = 'OWNERSHIP VOUCHER';

function voucherBlocks(text: string) {
  try {
    return parsePemBlocks(text).filter((block) => block.label === VOUCHER_PEM_LABEL);
  } catch (err) {
    if (!(err instanceof CryptoError)) throw err;
    throw new VoucherError('malformed', err.message, { cause: err });
  }
}

/**
 * All vouchers in a PEM text (`-----BEGIN OWNERSHIP VOUCHER-----` blocks). Other blocks, such as
 * the owner private key the FIDO interop format appends, are ignored.
 */
export function vouchersFromPem(text: string, options?: ParseVoucherOptions): OwnershipVoucher[] {
  return voucherBlocks(text).map((block) => parseVoucher(block.bytes, options));
}

/** The first voucher in a PEM text; VoucherError('malformed') when there is none. */
export function voucherFromPem(text: string, options?: ParseVoucherOptions): OwnershipVoucher {
  const [block] = voucherBlocks(text);
  if (!block) throw new VoucherError('malformed', `no -----BEGIN ${VOUCHER_PEM_LABEL}----- block found`);
  return parseVoucher(block.bytes, options);
}

export function voucherToPem(voucher: OwnershipVoucher | Uint8Array): string {
  return toPem(VOUCHER_PEM_LABEL, voucher instanceof Uint8Array ? voucher : voucher.bytes);
}

/** Whether file contents are raw CBOR rather than PEM text: a voucher's CBOR starts with an array head. */
export function looksLikeCbor(data: Uint8Array): boolean {
  return data.length > 0 && data[0]! >> 5 === 4;
}

/** Reads a voucher from file contents in either form: PEM (auto-detected) or raw CBOR. */
export function readVoucher(data: Uint8Array | string, options?: ParseVoucherOptions): OwnershipVoucher {
  if (typeof data === 'string') return voucherFromPem(data, options);
  if (looksLikeCbor(data)) return parseVoucher(data, options);
  return voucherFromPem(Buffer.from(data).toString('utf8'), options);
}
