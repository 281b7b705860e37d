import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { SztpDeviceEntity } from './sztp-device.entity';
import { TenantEntity } from '../ledger/tenant.entity';

/** An LDevID (RFC 9646) issued to a device by its owner's CA. */
@Index('sztp_ldevid_device', ['deviceId'])
@Entity({ name: 'sztp_ldevid' })
export class SztpLdevidEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'device_id', type: 'uuid' })
  @ForeignKey(() => SztpDeviceEntity, { name: 'sztp_ldevid_device_id_fkey' })
  deviceId!: string;

  /** The owner tenant whose CA issued it. */
  @Column({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'sztp_ldevid_tenant_id_fkey' })
  tenantId!: string;

  /** DER. */
  @Column({ type: 'bytea' })
  certificate!: Buffer;

  /** Certificate serial number, lowercase hex. */
  @Column({ name: 'serial_hex', type: 'text' })
  serialHex!: string;

  @Column({ name: 'not_after', type: 'timestamptz' })
  notAfter!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
