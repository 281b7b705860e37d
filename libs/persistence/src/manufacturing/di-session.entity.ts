import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * The state of one FDO DI run between DI.AppStart (10) and DI.SetHMAC (12), keyed by the SHA-256
 * of the bearer token the device echoes, so any replica can serve message 12. A completed session
 * is kept until it expires, so a replayed SetHMAC is recognised as such.
 */
@Entity({ name: 'di_session' })
export class DiSessionEntity {
  /** SHA-256 (hex) of the session token; the token itself is never stored. */
  @PrimaryColumn({ name: 'token_sha256', type: 'text' })
  tokenSha256!: string;

  @Column({ name: 'manufacturer_tenant_id', type: 'uuid' })
  manufacturerTenantId!: string;

  @Column({ name: 'station_id', type: 'uuid' })
  stationId!: string;

  @Column({ name: 'production_line', type: 'text', nullable: true })
  productionLine!: string | null;

  @Column({ name: 'serial_number', type: 'text' })
  serialNumber!: string;

  @Column({ name: 'device_info', type: 'text' })
  deviceInfo!: string;

  /** The GUID given to the device, 32 lowercase hex digits. */
  @Column({ type: 'text' })
  guid!: string;

  /** The OVHeader exactly as sent in DI.SetCredentials. */
  @Column({ name: 'ov_header', type: 'bytea' })
  ovHeader!: Buffer;

  /** CBOR array of the device certificate chain (DER, leaf first) as it goes into the voucher. */
  @Column({ name: 'device_cert_chain', type: 'bytea' })
  deviceCertChain!: Buffer;

  /** The owner_key row used as manufacturer key in the header. */
  @Column({ name: 'voucher_key_id', type: 'uuid' })
  voucherKeyId!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
