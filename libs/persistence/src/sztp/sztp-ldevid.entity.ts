import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** An LDevID (RFC 9646) issued to a device by its owner's CA. */
@Entity({ name: 'sztp_ldevid' })
export class SztpLdevidEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'device_id', type: 'uuid' })
  deviceId!: string;

  /** The owner tenant whose CA issued it. */
  @Column({ name: 'tenant_id', type: 'uuid' })
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
