import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { TenantEntity } from '../ledger/tenant.entity';
import { ManufacturingStationEntity } from './manufacturing-station.entity';
import { OwnerKeyEntity } from '../ledger/owner-key.entity';

/**
 * The state of one FDO DI run between DI.AppStart (10) and DI.SetHMAC (12), keyed by the SHA-256
 * of the bearer token the device echoes, so any replica can serve message 12. A completed session
 * is kept until it expires, so a replayed SetHMAC is recognised as such.
 */
@Check('di_session_guid_check', "(guid ~ '^[0-9a-f]{32}$'::text)")
@Index('di_session_expires', ['expiresAt'])
@Index('di_session_pending_serial', ['manufacturerTenantId', 'serialNumber'], {
  unique: true,
  where: '(completed_at IS NULL)',
})
@Entity({ name: 'di_session' })
export class DiSessionEntity {
  /** SHA-256 (hex) of the session token; the token itself is never stored. */
  @PrimaryColumn({ name: 'token_sha256', type: 'text' })
  tokenSha256!: string;

  @Column({ name: 'manufacturer_tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'di_session_manufacturer_tenant_id_fkey' })
  manufacturerTenantId!: string;

  @Column({ name: 'station_id', type: 'uuid' })
  @ForeignKey(() => ManufacturingStationEntity, { name: 'di_session_station_id_fkey' })
  stationId!: string;

  @Column({ name: 'production_line', type: 'text', nullable: true })
  productionLine!: string | null;

  @Column({ name: 'serial_number', type: 'text' })
  serialNumber!: string;

  @Column({ name: 'device_info', type: 'text' })
  deviceInfo!: string;

  /** The GUID given to the device, 32 lowercase hex digits. */
  @Column({ type: 'text', unique: true })
  guid!: string;

  /** The OVHeader exactly as sent in DI.SetCredentials. */
  @Column({ name: 'ov_header', type: 'bytea' })
  ovHeader!: Buffer;

  /** CBOR array of the device certificate chain (DER, leaf first) as it goes into the voucher. */
  @Column({ name: 'device_cert_chain', type: 'bytea' })
  deviceCertChain!: Buffer;

  /** The owner_key row used as manufacturer key in the header. */
  @Column({ name: 'voucher_key_id', type: 'uuid' })
  @ForeignKey(() => OwnerKeyEntity, { name: 'di_session_voucher_key_id_fkey' })
  voucherKeyId!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
