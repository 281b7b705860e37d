import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const DEVICE_LIFECYCLES = ['provisioned', 'onboarding', 'onboarded'] as const;
/** One way only: provisioned (DI done or voucher imported) -> onboarding -> onboarded. */
export type DeviceLifecycle = (typeof DEVICE_LIFECYCLES)[number];

/**
 * A physical device, across its GUIDs: DI gives it its first GUID; each TO2 with credential
 * replacement gives it a new one, and `guid` follows the current voucher.
 */
@Entity({ name: 'device' })
export class DeviceEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The manufacturer that ran DI here; null for a device known only from an imported voucher. */
  @Column({ name: 'manufacturer_tenant_id', type: 'uuid', nullable: true })
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

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
