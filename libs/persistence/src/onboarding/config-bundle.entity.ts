import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { DeviceEntity } from '../ledger/device.entity';
import { TenantEntity } from '../ledger/tenant.entity';

export const DELIVERY_STATUSES = ['queued', 'delivering', 'delivered', 'failed'] as const;
/**
 * queued: rendered, waiting for the device; delivering: the device is in TO2 ServiceInfo;
 * delivered: TO2 completed with every step done; failed: a step failed (see status_detail) and
 * TO2 was refused, so the device will come back and get it again.
 */
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One line of a bundle's human-readable contents. */
export interface BundleStepSummary {
  module: string;
  description: string;
}

/** How one step ended, recorded when the delivery ends. */
export interface BundleStepResult {
  module: string;
  description: string;
  ok: boolean;
  detail?: string;
}

/**
 * What one device receives from its owner in TO2 ServiceInfo, rendered from its configuration plan
 * before the device arrives (the onboarding.render-bundles job) and delivered by owner-onboarding.
 * `steps` is the encoded owner program (see owner-onboarding's service-info/program.ts); one row
 * per device, replaced when its plan changes (`revision` increases, `stale` marks a pending re-render).
 */
@Check(
  'config_bundle_delivery_status_check',
  "(delivery_status = ANY (ARRAY['queued'::text, 'delivering'::text, 'delivered'::text, 'failed'::text]))",
)
@Index('config_bundle_owner', ['ownerTenantId', 'deliveryStatus'])
@Entity({ name: 'config_bundle' })
export class ConfigBundleEntity {
  @PrimaryColumn({ name: 'device_id', type: 'uuid' })
  @ForeignKey(() => DeviceEntity, { name: 'config_bundle_device_id_fkey' })
  deviceId!: string;

  @Column({ name: 'owner_tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'config_bundle_owner_tenant_id_fkey' })
  ownerTenantId!: string;

  /** Null when no plan matches the device: an empty bundle (devmod only). */
  @Column({ name: 'plan_id', type: 'uuid', nullable: true })
  planId!: string | null;

  @Column({ name: 'plan_revision', type: 'integer', nullable: true })
  planRevision!: number | null;

  @Column({ type: 'integer', default: 1 })
  revision!: number;

  @Column({ type: 'boolean', default: false })
  stale!: boolean;

  @Column({ type: 'bytea' })
  steps!: Buffer;

  @Column({ type: 'jsonb' })
  summary!: BundleStepSummary[];

  @Column({ name: 'delivery_status', type: 'text' })
  deliveryStatus!: DeliveryStatus;

  @Column({ name: 'status_detail', type: 'text', nullable: true })
  statusDetail!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  results!: BundleStepResult[] | null;

  @Column({ name: 'rendered_at', type: 'timestamptz' })
  renderedAt!: Date;

  @Column({ name: 'delivery_started_at', type: 'timestamptz', nullable: true })
  deliveryStartedAt!: Date | null;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;
}
