import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  ForeignKey,
  Index,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import { DeviceGroupEntity } from './device-group.entity';
import { TenantEntity } from '../ledger/tenant.entity';
import { type ConfigPlanContent, type PlanSelectorKind } from './config-plan-content';

/**
 * An owner's configuration plan: what its devices receive in TO2 ServiceInfo. A device gets the one
 * plan that matches it best: a device plan (GUID, then serial) before a group plan before a
 * device-info plan; among plans of one kind the lowest `priority`, then the oldest. `revision`
 * increases with every change, so rendered bundles can tell they are stale.
 */
@Check(
  'config_plan_check',
  "(((selector_kind = 'device'::text) AND ((device_guid IS NOT NULL) OR (device_serial IS NOT NULL))) OR ((selector_kind = 'device-info'::text) AND (device_info_pattern IS NOT NULL)) OR ((selector_kind = 'group'::text) AND (group_id IS NOT NULL)))",
)
@Check('config_plan_device_guid_check', "(device_guid ~ '^[0-9a-f]{32}$'::text)")
@Unique('config_plan_owner_tenant_id_name_key', ['ownerTenantId', 'name'])
@Check(
  'config_plan_selector_kind_check',
  "(selector_kind = ANY (ARRAY['device'::text, 'device-info'::text, 'group'::text]))",
)
@Index('config_plan_owner', ['ownerTenantId', 'selectorKind'])
@Entity({ name: 'config_plan' })
export class ConfigPlanEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'owner_tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'config_plan_owner_tenant_id_fkey' })
  ownerTenantId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'selector_kind', type: 'text' })
  selectorKind!: PlanSelectorKind;

  /** kind device: 32 lowercase hex digits, matched against the current and the original GUID. */
  @Column({ name: 'device_guid', type: 'text', nullable: true })
  deviceGuid!: string | null;

  /** kind device: serial number. */
  @Column({ name: 'device_serial', type: 'text', nullable: true })
  deviceSerial!: string | null;

  /** kind device-info: glob over the voucher's DeviceInfo. */
  @Column({ name: 'device_info_pattern', type: 'text', nullable: true })
  deviceInfoPattern!: string | null;

  /** kind group. */
  @Column({ name: 'group_id', type: 'uuid', nullable: true })
  @ForeignKey(() => DeviceGroupEntity, { name: 'config_plan_group_id_fkey', onDelete: 'CASCADE' })
  groupId!: string | null;

  @Column({ type: 'integer', default: 100 })
  priority!: number;

  @Column({ type: 'jsonb' })
  content!: ConfigPlanContent;

  @Column({ type: 'integer', default: 1 })
  revision!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
