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
import { type DeviceLifecycle } from '../ledger/device.entity';
import { SztpDeviceTypeEntity } from './sztp-device-type.entity';
import { SztpOnboardingProfileEntity } from './sztp-onboarding-profile.entity';

/**
 * Where a device stands in its bootstrapping, as its progress reports say: pending (nothing
 * reported yet), in-progress, rebooting (a boot image was installed), failed (a *-error report: the
 * device abandoned this bootstrap server), complete (bootstrap-complete).
 */
export const SZTP_BOOTSTRAP_STATES = ['pending', 'in-progress', 'rebooting', 'failed', 'complete'] as const;
export type SztpBootstrapState = (typeof SZTP_BOOTSTRAP_STATES)[number];

/** An SSH host key a device reported with bootstrap-complete (for pinning it in later NETCONF/SSH). */
export interface StoredSshHostKey {
  algorithm: string;
  /** RFC 4253 key blob, base64. */
  keyData: string;
}

/** A device onboarding over SZTP, known by its device type and serial number. */
@Check(
  'sztp_device_bootstrap_state_check',
  "(bootstrap_state = ANY (ARRAY['pending'::text, 'in-progress'::text, 'rebooting'::text, 'failed'::text, 'complete'::text]))",
)
@Check(
  'sztp_device_lifecycle_check',
  "(lifecycle = ANY (ARRAY['manufactured'::text, 'owned'::text, 'onboarded'::text, 'disabled'::text, 'decommissioned'::text]))",
)
@Check(
  'sztp_device_disabled_from_check',
  "(((lifecycle = 'disabled'::text) = (disabled_from IS NOT NULL)) AND ((disabled_from IS NULL) OR (disabled_from = ANY (ARRAY['manufactured'::text, 'owned'::text, 'onboarded'::text]))))",
)
@Unique('sztp_device_device_type_id_serial_number_key', ['deviceTypeId', 'serialNumber'])
@Index('sztp_device_serial', ['serialNumber'])
@Entity({ name: 'sztp_device' })
export class SztpDeviceEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'device_type_id', type: 'uuid' })
  @ForeignKey(() => SztpDeviceTypeEntity, { name: 'sztp_device_device_type_id_fkey' })
  deviceTypeId!: string;

  @Column({ name: 'serial_number', type: 'text' })
  serialNumber!: string;

  /** scrypt hash of the activation code (HTTP Basic fallback); null when the device has none. */
  @Column({ name: 'activation_code_hash', type: 'text', nullable: true })
  activationCodeHash!: string | null;

  /** The holder's onboarding profile for this device; null: the holder's default profile. */
  @Column({ name: 'onboarding_profile_id', type: 'uuid', nullable: true })
  @ForeignKey(() => SztpOnboardingProfileEntity, {
    name: 'sztp_device_onboarding_profile_id_fkey',
    onDelete: 'SET NULL',
  })
  onboardingProfileId!: string | null;

  @Column({ name: 'bootstrap_state', type: 'text' })
  bootstrapState!: SztpBootstrapState;

  /** The device state machine (shared with FDO devices; ARCHITECTURE.md, "Device lifecycle"). */
  @Column({ type: 'text', default: 'manufactured' })
  lifecycle!: DeviceLifecycle;

  /** The state a disabled device goes back to when enabled; null unless disabled. */
  @Column({ name: 'disabled_from', type: 'text', nullable: true })
  disabledFrom!: DeviceLifecycle | null;

  @Column({ name: 'last_progress_type', type: 'text', nullable: true })
  lastProgressType!: string | null;

  @Column({ name: 'last_progress_at', type: 'timestamptz', nullable: true })
  lastProgressAt!: Date | null;

  /** Captured from the last bootstrap-complete report. */
  @Column({ name: 'ssh_host_keys', type: 'jsonb', nullable: true })
  sshHostKeys!: StoredSshHostKey[] | null;

  /** Captured from the last bootstrap-complete report: certs-only CMS values, base64. */
  @Column({ name: 'trust_anchor_certs', type: 'jsonb', nullable: true })
  trustAnchorCerts!: string[] | null;

  @Column({ name: 'onboarded_at', type: 'timestamptz', nullable: true })
  onboardedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
