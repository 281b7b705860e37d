import { createHash } from 'node:crypto';
import { type FdoPublicKey, guidToHex, type OwnershipVoucher, voucherOwnerKey } from '@ztp/protocol';

/**
 * SHA-256 (hex) of a PublicKey's SubjectPublicKeyInfo: the same key gives the same value in any
 * FDO encoding (X509, COSEKEY, X5CHAIN). Cached by the PublicKey bytes: a batch of vouchers
 * repeats the same few owner keys.
 */
const spkiHashes = new Map<string, string>();
const SPKI_CACHE_LIMIT = 4096;

export function publicKeySha256(publicKey: FdoPublicKey): string {
  const id = Buffer.from(publicKey.bytes).toString('latin1');
  let hash = spkiHashes.get(id);
  if (hash === undefined) {
    hash = createHash('sha256')
      .update(publicKey.key.export({ format: 'der', type: 'spki' }))
      .digest('hex');
    if (spkiHashes.size >= SPKI_CACHE_LIMIT) spkiHashes.delete(spkiHashes.keys().next().value!);
    spkiHashes.set(id, hash);
  }
  return hash;
}

/** What the ledger stores beside a voucher's bytes. */
export interface VoucherFacts {
  guid: string;
  deviceInfo: string;
  numEntries: number;
  ownerKeySha256: string;
}

export function voucherFacts(voucher: OwnershipVoucher): VoucherFacts {
  return {
    guid: guidToHex(voucher.header.guid),
    deviceInfo: voucher.header.deviceInfo,
    numEntries: voucher.entries.length,
    ownerKeySha256: publicKeySha256(voucherOwnerKey(voucher)),
  };
}
