import { parseVoucher, verifyVoucher, VoucherError } from '@ztp/protocol';
import { voucherFacts, type VoucherFacts } from '../voucher-facts';

/** Largest single voucher accepted (bytes). */
export const MAX_VOUCHER_BYTES = 1024 * 1024;

export type VoucherCheck = { ok: true; facts: VoucherFacts } | { ok: false; code: string; detail: string };

/**
 * Parses and verifies one voucher (signatures, hashes, key types) and reads what the ledger stores
 * beside it. Never throws: any failure is reported with a code (VoucherError codes; `malformed`
 * for anything else).
 */
export function checkVoucher(bytes: Uint8Array): VoucherCheck {
  try {
    const voucher = parseVoucher(bytes, { maxBytes: MAX_VOUCHER_BYTES });
    verifyVoucher(voucher);
    return { ok: true, facts: voucherFacts(voucher) };
  } catch (err) {
    if (err instanceof VoucherError) return { ok: false, code: err.code, detail: err.message };
    return { ok: false, code: 'malformed', detail: err instanceof Error ? err.message : String(err) };
  }
}
