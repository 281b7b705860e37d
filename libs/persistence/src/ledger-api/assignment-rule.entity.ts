import { Check, Column, CreateDateColumn, Entity, ForeignKey, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { OwnerKeyEntity } from '../ledger/owner-key.entity';
import { TenantEntity } from '../ledger/tenant.entity';

/**
 * A standing instruction of a manufacturer or reseller: vouchers it gets (from DI, or received from
 * another tenant) that match are transferred to `targetTenantId` automatically. Empty criteria
 * match everything; `productionLine` only matches DI vouchers. The first enabled matching rule by
 * priority (then age) applies.
 */
@Check('assignment_rule_check', '(target_tenant_id <> tenant_id)')
@Unique('assignment_rule_tenant_id_name_key', ['tenantId', 'name'])
@Entity({ name: 'assignment_rule' })
export class AssignmentRuleEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'assignment_rule_tenant_id_fkey' })
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
  @ForeignKey(() => TenantEntity, { name: 'assignment_rule_target_tenant_id_fkey' })
  targetTenantId!: string;

  /** The recipient's owner key to use; null: its default key for the voucher's key type. */
  @Column({ name: 'target_owner_key_id', type: 'uuid', nullable: true })
  @ForeignKey(() => OwnerKeyEntity, { name: 'assignment_rule_target_owner_key_id_fkey' })
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
