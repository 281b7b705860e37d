import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  ForeignKey,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { SztpDeviceEntity } from './sztp-device.entity';
import { TenantEntity } from '../ledger/tenant.entity';
import { SztpMasaEntity } from './sztp-masa.entity';

/** How the voucher came into the ledger. */
export const SZTP_VOUCHER_SOURCES = ['imported', 'issued', 'reissued'] as const;
export type SztpVoucherSource = (typeof SZTP_VOUCHER_SOURCES)[number];

/**
 * active: the device's current voucher (at most one per device); superseded: replaced by a
 * re-issued voucher (transfer) or a newer import.
 */
export const SZTP_VOUCHER_STATUSES = ['active', 'superseded'] as const;
export type SztpVoucherStatus = (typeof SZTP_VOUCHER_STATUSES)[number];

/**
 * An RFC 8366 ownership voucher (CMS SignedData from a MASA), kept as the exact bytes. SZTP
 * vouchers are not extended like FDO's: a transfer re-issues one pinning the new owner's
 * certificate and supersedes this one.
 */
@Check(
  'sztp_voucher_source_check',
  "(source = ANY (ARRAY['imported'::text, 'issued'::text, 'reissued'::text]))",
)
@Check('sztp_voucher_status_check', "(status = ANY (ARRAY['active'::text, 'superseded'::text]))")
@Index('sztp_voucher_active', ['deviceId'], { unique: true, where: "(status = 'active'::text)" })
@Index('sztp_voucher_holder', ['holderTenantId', 'status'])
@Entity({ name: 'sztp_voucher' })
export class SztpVoucherEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'device_id', type: 'uuid' })
  @ForeignKey(() => SztpDeviceEntity, { name: 'sztp_voucher_device_id_fkey' })
  deviceId!: string;

  @Column({ name: 'serial_number', type: 'text' })
  serialNumber!: string;

  @Column({ name: 'masa_id', type: 'uuid' })
  @ForeignKey(() => SztpMasaEntity, { name: 'sztp_voucher_masa_id_fkey' })
  masaId!: string;

  /** The tenant holding the device through this voucher. */
  @Column({ name: 'holder_tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'sztp_voucher_holder_tenant_id_fkey' })
  holderTenantId!: string;

  /** DER ContentInfo(SignedData), exactly as issued or imported. */
  @Column({ type: 'bytea' })
  cms!: Buffer;

  /** eContentType: id-ct-animaJSONVoucher or id-data. */
  @Column({ name: 'content_type', type: 'text' })
  contentType!: string;

  /** SHA-256 (hex) of the pinned-domain-cert DER. */
  @Column({ name: 'pinned_domain_cert_sha256', type: 'text' })
  pinnedDomainCertSha256!: string;

  /** Whether the holder's SZTP owner certificate chains to pinned-domain-cert (else devices refuse its data). */
  @Column({ name: 'pins_holder', type: 'boolean' })
  pinsHolder!: boolean;

  @Column({ type: 'text', nullable: true })
  assertion!: string | null;

  @Column({ name: 'expires_on', type: 'timestamptz', nullable: true })
  expiresOn!: Date | null;

  @Column({ type: 'text' })
  source!: SztpVoucherSource;

  @Column({ type: 'text' })
  status!: SztpVoucherStatus;

  @Column({ name: 'replaces_voucher_id', type: 'uuid', nullable: true })
  @ForeignKey(() => SztpVoucherEntity, { name: 'sztp_voucher_replaces_voucher_id_fkey' })
  replacesVoucherId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
