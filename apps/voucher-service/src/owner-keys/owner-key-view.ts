import { createHash } from 'node:crypto';
import { type OwnerKeyEntity } from '@ztp/persistence';
import { derToPem } from '@ztp/pki';

export interface OwnerKeyView {
  id: string;
  name: string;
  spec: string;
  /** SHA-256 (hex) of the SubjectPublicKeyInfo: matches a voucher's ownerKeySha256. */
  publicKeySha256: string;
  publicKeyPem: string;
  retiredAt: string | null;
  createdAt: string;
}

export function ownerKeyView(row: OwnerKeyEntity): OwnerKeyView {
  return {
    id: row.id,
    name: row.name,
    spec: row.spec,
    publicKeySha256: row.publicKeySha256,
    publicKeyPem: derToPem(row.publicKeySpki, 'PUBLIC KEY'),
    retiredAt: row.retiredAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/** SHA-256 (hex) of a DER SubjectPublicKeyInfo: how vouchers, keys and rows are matched. */
export function spkiSha256(spki: Uint8Array): string {
  return createHash('sha256').update(spki).digest('hex');
}
