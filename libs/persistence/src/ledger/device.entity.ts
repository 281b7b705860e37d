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
import { TenantEntity } from './tenant.entity';

export const DEVICE_LIFECYCLES = [
  'manufactured',
  'owned',
  'onboarded',
  'disabled',
  'decommissioned',
] as const;
/**
 * The device state machine (ARCHITECTURE.md, "Device lifecycle"): manufactured (DI done, or a voucher
 * imported by a non-owner) -> owned (an owner tenant holds its voucher) -> onboarded (TO2 done);
 * disabled from any of these and back to the state it left; decommissioned from any, terminal. The
 * database refuses every other move (migration 1795231000000, a trigger over
 * `device_lifecycle_transition`).
 */
export type DeviceLifecycle = (typeof DEVICE_LIFECYCLES)[number];

export const REONBOARDING_POLICIES = ['never', 'same-owner', 'on-request'] as const;
/**
 * May an onboarded device onboard again (be registered at rendezvous by TO0 after its TO2)?
 * `never`; `same-owner`: always, so a reset device comes back; `on-request`: once armed by the
 * owner, for the next TO2. Per owner tenant, overridden per device group and per device.
 */
export type ReonboardingPolicy = (typeof REONBOARDING_POLICIES)[number];

/**
 * A physical device, across its GUIDs: DI gives it its first GUID; each TO2 with credential
 * replacement gives it a new one, and `guid` follows the current voucher.
 */
@Check(
  'device_disabled_from_check',
  "(((lifecycle = 'disabled'::text) = (disabled_from IS NOT NULL)) AND ((disabled_from IS NULL) OR (disabled_from = ANY (ARRAY['manufactured'::text, 'owned'::text, 'onboarded'::text]))))",
)
@Check('device_refurbished_check', "((refurbished_at IS NULL) OR (lifecycle = 'decommissioned'::text))")
@Check(
  'device_reonboarding_check',
  "(reonboarding = ANY (ARRAY['never'::text, 'same-owner'::text, 'on-request'::text]))",
)
@Check('device_etm_key_sizes_check', "(etm_key_sizes = ANY (ARRAY['spec'::text, 'go-fdo'::text]))")
@Check('device_guid_check', "(guid ~ '^[0-9a-f]{32}$'::text)")
@Check(
  'device_lifecycle_check',
  "(lifecycle = ANY (ARRAY['manufactured'::text, 'owned'::text, 'onboarded'::text, 'disabled'::text, 'decommissioned'::text]))",
)
@Index('device_manufacturer_serial', ['manufacturerTenantId', 'serialNumber'], {
  unique: true,
  where:
    "((manufacturer_tenant_id IS NOT NULL) AND (serial_number IS NOT NULL) AND (lifecycle <> 'decommissioned'::text))",
})
@Entity({ name: 'device' })
export class DeviceEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The manufacturer that ran DI here; null for a device known only from an imported voucher. */
  @Column({ name: 'manufacturer_tenant_id', type: 'uuid', nullable: true })
  @ForeignKey(() => TenantEntity, { name: 'device_manufacturer_tenant_id_fkey' })
  manufacturerTenantId!: string | null;

  @Column({ name: 'serial_number', type: 'text', nullable: true })
  serialNumber!: string | null;

  @Column({ name: 'device_info', type: 'text' })
  deviceInfo!: string;

  /** Current FDO GUID, 32 lowercase hex digits. */
  @Column({ type: 'text', unique: true })
  guid!: string;

  /** The GUID DI gave it (or of the first voucher seen). */
  @Column({ name: 'original_guid', type: 'text' })
  originalGuid!: string;

  @Column({ type: 'text' })
  lifecycle!: DeviceLifecycle;

  /** The state a disabled device goes back to when enabled; null unless disabled. */
  @Column({ name: 'disabled_from', type: 'text', nullable: true })
  disabledFrom!: DeviceLifecycle | null;

  /** Re-onboarding policy for this device, over its groups' and its owner's; null: inherit. */
  @Column({ type: 'text', nullable: true })
  reonboarding!: ReonboardingPolicy | null;

  /** When the owner armed an `on-request` re-onboarding; the next TO2 Done consumes it. */
  @Column({ name: 'reonboard_requested_at', type: 'timestamptz', nullable: true })
  reonboardRequestedAt!: Date | null;

  /**
   * When the manufacturer refurbished this decommissioned device: its serial may go through DI
   * again (as a new device with a new GUID). Null unless decommissioned and refurbished.
   */
  @Column({ name: 'refurbished_at', type: 'timestamptz', nullable: true })
  refurbishedAt!: Date | null;
  /**
   * The AES-CBC/CTR key sizes (`spec` or `go-fdo`) TO2 uses with this device next: written at each
   * CBC/CTR SetupDevice (the other convention, in case the device cannot open it) and set back by
   * the DeviceServiceInfoReady that authenticates. Null until then: the owner's setting applies.
   */
  @Column({ name: 'etm_key_sizes', type: 'text', nullable: true })
  etmKeySizes!: 'spec' | 'go-fdo' | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
