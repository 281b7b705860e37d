import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  ForeignKey,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import { TenantEntity } from '../ledger/tenant.entity';

/**
 * An explicit group of an owner's devices, the target of a configuration plan. Members are device
 * references `guid:<32 hex>` or `serial:<serial number>`; a GUID matches the device's current or
 * original GUID, so membership survives the GUID change of TO2.
 */
@Check(
  'device_group_reonboarding_check',
  "(reonboarding = ANY (ARRAY['never'::text, 'same-owner'::text, 'on-request'::text]))",
)
@Unique('device_group_owner_tenant_id_name_key', ['ownerTenantId', 'name'])
@Entity({ name: 'device_group' })
export class DeviceGroupEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'owner_tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'device_group_owner_tenant_id_fkey' })
  ownerTenantId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', array: true, default: [] })
  members!: string[];

  /** Re-onboarding policy for the members, over their owner's; null: inherit (ReonboardingPolicy). */
  @Column({ type: 'text', nullable: true })
  reonboarding!: 'never' | 'same-owner' | 'on-request' | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
