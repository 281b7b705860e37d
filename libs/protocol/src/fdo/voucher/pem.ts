import { VoucherError } from './errors';
import { parseVoucher, type OwnershipVoucher, type ParseVoucherOptions } from './voucher';

export const VOUCHER_PEM_LABEL = 'OWNERSHIP VOUCHER';

/** One `-----BEGIN label-----` ... `-----END label-----` block, base64 decoded. */
export interface PemBlock {
  readonly label: string;
  readonly bytes: Uint8Array;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

/**
 * Every PEM block in text, in order. Tolerates CRLF, blank lines, indentation and text between
 * blocks; refuses a block whose END label differs or whose body is not base64.
 */
export function parsePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const [, label, body, endLabel] = match as unknown as [string, string, string, string];
    if (label !== endLabel)
      throw new VoucherError('malformed', `PEM block BEGIN ${label} ends with END ${endLabel}`);
    const base64 = body.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 === 1)
      throw new VoucherError('malformed', `PEM block ${label} is not valid base64`);
    blocks.push({ label, bytes: new Uint8Array(Buffer.from(base64, 'base64')) });
  }
  return blocks;
}

/** Writes bytes as a PEM block with 64-character lines and a trailing newline. */
export function toPem(label: string, bytes: Uint8Array): string {
  const base64 = Buffer.from(bytes).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}${lines.length ? '\n' : ''}-----END ${label}-----\n`;
}

/**
 * All vouchers in a PEM text (`-----BEGIN OWNERSHIP VOUCHER-----` blocks). Other blocks, such as
 * the owner private key the FIDO interop format appends, are ignored.
 */
export function vouchersFromPem(text: string, options?: ParseVoucherOptions): OwnershipVoucher[] {
  return parsePemBlocks(text)
    .filter((block) => block.label === VOUCHER_PEM_LABEL)
    .map((block) => parseVoucher(block.bytes, options));
}

/** The first voucher in a PEM text; VoucherError('malformed') when there is none. */
export function voucherFromPem(text: string, options?: ParseVoucherOptions): OwnershipVoucher {
  const block = parsePemBlocks(text).find((b) => b.label === VOUCHER_PEM_LABEL);
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
