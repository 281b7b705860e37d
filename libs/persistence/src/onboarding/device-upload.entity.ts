import { Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DeviceEntity } from '../ledger/device.entity';
import { TenantEntity } from '../ledger/tenant.entity';

/** A file a device sent its owner through fdo.upload during TO2. */
@Index('device_upload_device', ['deviceId', 'receivedAt'])
@Entity({ name: 'device_upload' })
export class DeviceUploadEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'owner_tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'device_upload_owner_tenant_id_fkey' })
  ownerTenantId!: string;

  @Column({ name: 'device_id', type: 'uuid' })
  @ForeignKey(() => DeviceEntity, { name: 'device_upload_device_id_fkey' })
  deviceId!: string;

  /** The GUID the device had when it sent it. */
  @Column({ type: 'text' })
  guid!: string;

  /** The name the owner asked for (fdo.upload:name). */
  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'integer' })
  size!: number;

  @Column({ type: 'bytea' })
  sha384!: Buffer;

  @Column({ type: 'bytea' })
  content!: Buffer;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;
}
