import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const VOUCHER_STATUSES = ['active', 'transferred-out', 'retired', 'deleted'] as const;
/**
 * active: held by `holderTenantId` (at most one active voucher per GUID);
 * transferred-out: extended to a key outside this service; retired: replaced after TO2;
 * deleted: soft-deleted by its holder.
 */
export type VoucherStatus = (typeof VOUCHER_STATUSES)[number];

/** One FDO ownership voucher, stored as the exact CBOR bytes (hashes and HMACs are over them). */
@Entity({ name: 'voucher' })
export class VoucherEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'device_id', type: 'uuid' })
  deviceId!: string;

  /** GUID in the voucher header, 32 lowercase hex digits. */
  @Column({ type: 'text' })
  guid!: string;

  /** The voucher exactly as built or received. */
  @Column({ type: 'bytea' })
  cbor!: Buffer;

  @Column({ name: 'num_entries', type: 'integer' })
  numEntries!: number;

  /** SHA-256 (hex) of the current owner's SubjectPublicKeyInfo: who can run TO0/TO2 with it. */
  @Column({ name: 'owner_key_sha256', type: 'text' })
  ownerKeySha256!: string;

  /** The tenant holding it; null once transferred out of the service. */
  @Column({ name: 'holder_tenant_id', type: 'uuid', nullable: true })
  holderTenantId!: string | null;

  @Column({ type: 'text' })
  status!: VoucherStatus;

  /** For a replacement voucher (after TO2): the voucher it replaces. */
  @Column({ name: 'replaces_voucher_id', type: 'uuid', nullable: true })
  replacesVoucherId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;
}
