import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A file a device sent its owner through fdo.upload during TO2. */
@Entity({ name: 'device_upload' })
export class DeviceUploadEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'owner_tenant_id', type: 'uuid' })
  ownerTenantId!: string;

  @Column({ name: 'device_id', type: 'uuid' })
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
