import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { TenantEntity } from '../ledger/tenant.entity';
import { OwnerKeyEntity } from '../ledger/owner-key.entity';
import { VoucherEntity } from '../ledger/voucher.entity';

export const TRANSFER_STATUSES = [
  'scheduled',
  'pending',
  'accepted',
  'rejected',
  'cancelled',
  'completed',
  'void',
] as const;

/**
 * scheduled: made by an assignment rule, not signed yet (signing happens after the DI transaction);
 * pending: signed, waiting for the recipient tenant (its incoming transfer); accepted: the recipient
 * holds the voucher; rejected / cancelled: by the recipient / the sender; completed: an external
 * transfer (the voucher left the service); void: the voucher changed before the transfer applied.
 */
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

/**
 * One hand-over of a voucher: to another tenant (by one of its owner keys) or to a key outside the
 * service. Keeps the voucher bytes before and after the extension, so the history of a voucher row
 * (updated in place on acceptance) stays complete.
 */
@Check('transfer_check', '((to_tenant_id IS NULL) = (to_owner_key_id IS NULL))')
@Check('transfer_check1', "((status = 'scheduled'::text) OR (extended_cbor IS NOT NULL))")
@Check(
  'transfer_status_check',
  "(status = ANY (ARRAY['scheduled'::text, 'pending'::text, 'accepted'::text, 'rejected'::text, 'cancelled'::text, 'completed'::text, 'void'::text]))",
)
@Index('transfer_guid', ['guid'])
@Index('transfer_incoming', ['toTenantId', 'status', 'createdAt', 'id'])
@Index('transfer_one_open_per_voucher', ['voucherId'], {
  unique: true,
  where: "(status = ANY (ARRAY['scheduled'::text, 'pending'::text]))",
})
@Index('transfer_outgoing', ['fromTenantId', 'status', 'createdAt', 'id'])
@Index('transfer_scheduled', ['createdAt'], { where: "(status = 'scheduled'::text)" })
@Entity({ name: 'transfer' })
export class TransferEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'voucher_id', type: 'uuid' })
  @ForeignKey(() => VoucherEntity, { name: 'transfer_voucher_id_fkey' })
  voucherId!: string;

  @Column({ type: 'text' })
  guid!: string;

  @Column({ name: 'from_tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'transfer_from_tenant_id_fkey' })
  fromTenantId!: string;

  /** The recipient tenant; null for an external transfer. */
  @Column({ name: 'to_tenant_id', type: 'uuid', nullable: true })
  @ForeignKey(() => TenantEntity, { name: 'transfer_to_tenant_id_fkey' })
  toTenantId!: string | null;

  /** The recipient's owner key the voucher is extended to; null for an external transfer. */
  @Column({ name: 'to_owner_key_id', type: 'uuid', nullable: true })
  @ForeignKey(() => OwnerKeyEntity, { name: 'transfer_to_owner_key_id_fkey' })
  toOwnerKeyId!: string | null;

  @Column({ type: 'text' })
  status!: TransferStatus;

  /** Entries of the voucher when the transfer was made; acceptance requires it unchanged. */
  @Column({ name: 'source_num_entries', type: 'integer' })
  sourceNumEntries!: number;

  /** The voucher bytes before the extension. */
  @Column({ name: 'previous_cbor', type: 'bytea' })
  previousCbor!: Buffer;

  /** The extended voucher; null while scheduled. */
  @Column({ name: 'extended_cbor', type: 'bytea', nullable: true })
  extendedCbor!: Buffer | null;

  /** SHA-256 (hex) of the next owner's SPKI; null while scheduled. */
  @Column({ name: 'next_owner_key_sha256', type: 'text', nullable: true })
  nextOwnerKeySha256!: string | null;

  /** OVEExtra of the new entry, as { "<int key>": "<hex>" }; null for none. */
  @Column({ type: 'jsonb', nullable: true })
  extra!: Record<string, string> | null;

  /** The assignment rule that made it, if any. */
  @Column({ name: 'rule_id', type: 'uuid', nullable: true })
  ruleId!: string | null;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @Column({ name: 'decided_by', type: 'text', nullable: true })
  decidedBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;
}
