import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A standing instruction of a manufacturer or reseller: vouchers it gets (from DI, or received from
 * another tenant) that match are transferred to `targetTenantId` automatically. Empty criteria
 * match everything; `productionLine` only matches DI vouchers. The first enabled matching rule by
 * priority (then age) applies.
 */
@Entity({ name: 'assignment_rule' })
export class AssignmentRuleEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'text' })
  name!: string;

  /** DI vouchers from this production line only. */
  @Column({ name: 'production_line', type: 'text', nullable: true })
  productionLine!: string | null;

  /** Glob (`*`, `?`) over the voucher's DeviceInfo. */
  @Column({ name: 'device_info_pattern', type: 'text', nullable: true })
  deviceInfoPattern!: string | null;

  @Column({ name: 'target_tenant_id', type: 'uuid' })
  targetTenantId!: string;

  /** The recipient's owner key to use; null: its default key for the voucher's key type. */
  @Column({ name: 'target_owner_key_id', type: 'uuid', nullable: true })
  targetOwnerKeyId!: string | null;

  @Column({ type: 'integer', default: 100 })
  priority!: number;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
