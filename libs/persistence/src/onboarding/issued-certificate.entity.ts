import { type RevocationReason } from '@ztp/pki';
import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DeviceEntity } from '../ledger/device.entity';
import { TenantEntity } from '../ledger/tenant.entity';

export const CERTIFICATE_REQUEST_KINDS = ['simpleenroll', 'simplereenroll', 'serverkeygen'] as const;
export type CertificateRequestKind = (typeof CERTIFICATE_REQUEST_KINDS)[number];

/**
 * An operational certificate an owner CA issued to a device (fdo.csr, SZTP, EST), its revocation
 * and the certificate it renewed.
 */
@Check(
  'issued_certificate_kind_check',
  "(kind = ANY (ARRAY['simpleenroll'::text, 'simplereenroll'::text, 'serverkeygen'::text]))",
)
@Check('issued_certificate_revocation_complete', '((revoked_at IS NULL) = (revocation_reason IS NULL))')
@Check(
  'issued_certificate_revocation_reason_check',
  "(revocation_reason = ANY (ARRAY['unspecified'::text, 'keyCompromise'::text, 'cACompromise'::text, 'affiliationChanged'::text, 'superseded'::text, 'cessationOfOperation'::text, 'certificateHold'::text, 'privilegeWithdrawn'::text, 'aACompromise'::text]))",
)
@Index('issued_certificate_device', ['deviceId', 'issuedAt'])
@Index('issued_certificate_expiring', ['notAfter'], {
  where: '((revoked_at IS NULL) AND (expiring_notified_at IS NULL))',
})
@Index('issued_certificate_fingerprint', ['fingerprint'], { unique: true })
@Index('issued_certificate_revoked', ['ownerTenantId'], { where: '(revoked_at IS NOT NULL)' })
@Index('issued_certificate_serial', ['ownerTenantId', 'serialNumber'], { unique: true })
@Entity({ name: 'issued_certificate' })
export class IssuedCertificateEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'owner_tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'issued_certificate_owner_tenant_id_fkey' })
  ownerTenantId!: string;

  @Column({ name: 'device_id', type: 'uuid' })
  @ForeignKey(() => DeviceEntity, { name: 'issued_certificate_device_id_fkey' })
  deviceId!: string;

  /** The device's GUID after the TO2 that issued it. */
  @Column({ type: 'text' })
  guid!: string;

  /** Certificate serial number, hex. */
  @Column({ name: 'serial_number', type: 'text' })
  serialNumber!: string;

  @Column({ type: 'text' })
  subject!: string;

  /** SHA-256 of the DER, hex. */
  @Column({ type: 'text' })
  fingerprint!: string;

  @Column({ type: 'bytea' })
  certificate!: Buffer;

  @Column({ name: 'not_after', type: 'timestamptz' })
  notAfter!: Date;

  @Column({ type: 'text' })
  kind!: CertificateRequestKind;

  @Column({ name: 'issued_at', type: 'timestamptz' })
  issuedAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  /** RFC 5280 CRLReason name; set exactly when revokedAt is. */
  @Column({ name: 'revocation_reason', type: 'text', nullable: true })
  revocationReason!: RevocationReason | null;

  /** The certificate this one renewed (EST simplereenroll); null for a first issuance. */
  @Column({ name: 'replaces_certificate_id', type: 'uuid', nullable: true })
  @ForeignKey(() => IssuedCertificateEntity, { name: 'issued_certificate_replaces_certificate_id_fkey' })
  replacesCertificateId!: string | null;

  /** When the worker raised certificate.expiring for it (once). */
  @Column({ name: 'expiring_notified_at', type: 'timestamptz', nullable: true })
  expiringNotifiedAt!: Date | null;
}
