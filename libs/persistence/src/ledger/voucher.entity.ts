import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  ForeignKey,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { DeviceEntity } from './device.entity';
import { TenantEntity } from './tenant.entity';

export const VOUCHER_STATUSES = ['active', 'transferred-out', 'retired', 'deleted'] as const;
/**
 * active: held by `holderTenantId` (at most one active voucher per GUID);
 * transferred-out: extended to a key outside this service; retired: replaced after TO2;
 * deleted: soft-deleted by its holder.
 */
export type VoucherStatus = (typeof VOUCHER_STATUSES)[number];

/** One FDO ownership voucher, stored as the exact CBOR bytes (hashes and HMACs are over them). */
@Check('voucher_guid_check', "(guid ~ '^[0-9a-f]{32}$'::text)")
@Check('voucher_num_entries_check', '(num_entries >= 0)')
@Check(
  'voucher_status_check',
  "(status = ANY (ARRAY['active'::text, 'transferred-out'::text, 'retired'::text, 'deleted'::text]))",
)
@Index('voucher_device', ['deviceId'])
@Index('voucher_holder', ['holderTenantId', 'status', 'createdAt', 'id'])
@Index('voucher_one_active_per_guid', ['guid'], { unique: true, where: "(status = 'active'::text)" })
@Entity({ name: 'voucher' })
export class VoucherEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'device_id', type: 'uuid' })
  @ForeignKey(() => DeviceEntity, { name: 'voucher_device_id_fkey' })
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
  @ForeignKey(() => TenantEntity, { name: 'voucher_holder_tenant_id_fkey' })
  holderTenantId!: string | null;

  @Column({ type: 'text' })
  status!: VoucherStatus;

  /** For a replacement voucher (after TO2): the voucher it replaces. */
  @Column({ name: 'replaces_voucher_id', type: 'uuid', nullable: true })
  @ForeignKey(() => VoucherEntity, { name: 'voucher_replaces_voucher_id_fkey' })
  replacesVoucherId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;
}
