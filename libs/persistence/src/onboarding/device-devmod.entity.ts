import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { DeviceEntity } from '../ledger/device.entity';
import { TenantEntity } from '../ledger/tenant.entity';

/** What a device told about itself (devmod) in its latest completed TO2, per device. */
@Entity({ name: 'device_devmod' })
export class DeviceDevmodEntity {
  @PrimaryColumn({ name: 'device_id', type: 'uuid' })
  @ForeignKey(() => DeviceEntity, { name: 'device_devmod_device_id_fkey' })
  deviceId!: string;

  @Column({ name: 'owner_tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'device_devmod_owner_tenant_id_fkey' })
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
