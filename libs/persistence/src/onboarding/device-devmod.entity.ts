import { Column, Entity, PrimaryColumn } from 'typeorm';

/** What a device told about itself (devmod) in its latest completed TO2, per device. */
@Entity({ name: 'device_devmod' })
export class DeviceDevmodEntity {
  @PrimaryColumn({ name: 'device_id', type: 'uuid' })
  deviceId!: string;

  @Column({ name: 'owner_tenant_id', type: 'uuid' })
  ownerTenantId!: string;

  /** The GUID the device had when it sent it. */
  @Column({ type: 'text' })
  guid!: string;

  /** The devmod record (os, arch, version, device, sep, bin, modules, optional keys). */
  @Column({ type: 'jsonb' })
  devmod!: Record<string, unknown>;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;
}
