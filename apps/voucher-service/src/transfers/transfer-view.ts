import { type TransferEntity, type TransferStatus } from '@ztp/persistence';
import { voucherToPem } from '@ztp/protocol';

export interface TransferView {
  id: string;
  voucherId: string;
  guid: string;
  status: TransferStatus;
  /** Seen from the asking tenant. */
  direction: 'incoming' | 'outgoing';
  fromTenantId: string;
  /** Null for a transfer to a key outside the service. */
  toTenantId: string | null;
  toOwnerKeyId: string | null;
  /** SHA-256 (hex) of the next owner's SubjectPublicKeyInfo (null while scheduled). */
  nextOwnerKeySha256: string | null;
  extra: Record<string, string> | null;
  ruleId: string | null;
  createdBy: string;
  decidedBy: string | null;
  createdAt: string;
  decidedAt: string | null;
  /** The extended voucher, for a transfer out of the service (the only place it can be fetched from later). */
  voucherPem?: string;
  /**
   * Accepting only: what the receiving tenant lacks that will stop the device from onboarding (no
   * onboarding address, no owner key); the transfer is accepted all the same.
   */
  warnings?: { code: string; message: string }[];
}

export function transferView(row: TransferEntity, tenantId: string): TransferView {
  return {
    id: row.id,
    voucherId: row.voucherId,
    guid: row.guid,
    status: row.status,
    direction: row.fromTenantId === tenantId ? 'outgoing' : 'incoming',
    fromTenantId: row.fromTenantId,
    toTenantId: row.toTenantId,
    toOwnerKeyId: row.toTenantId === tenantId || row.fromTenantId === tenantId ? row.toOwnerKeyId : null,
    nextOwnerKeySha256: row.nextOwnerKeySha256,
    extra: row.extra,
    ruleId: row.fromTenantId === tenantId ? row.ruleId : null,
    createdBy: row.createdBy,
    decidedBy: row.decidedBy,
    createdAt: row.createdAt.toISOString(),
    decidedAt: row.decidedAt?.toISOString() ?? null,
    ...(row.toTenantId === null && row.extendedCbor
      ? { voucherPem: voucherToPem(new Uint8Array(row.extendedCbor)) }
      : {}),
  };
}
