import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { type ConfigPlanContent, type PlanSelectorKind } from './config-plan-content';

/**
 * An owner's configuration plan: what its devices receive in TO2 ServiceInfo. A device gets the one
 * plan that matches it best: a device plan (GUID, then serial) before a group plan before a
 * device-info plan; among plans of one kind the lowest `priority`, then the oldest. `revision`
 * increases with every change, so rendered bundles can tell they are stale.
 */
@Entity({ name: 'config_plan' })
export class ConfigPlanEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'owner_tenant_id', type: 'uuid' })
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
  groupId!: string | null;

  @Column({ type: 'integer' })
  priority!: number;

  @Column({ type: 'jsonb' })
  content!: ConfigPlanContent;

  @Column({ type: 'integer' })
  revision!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
