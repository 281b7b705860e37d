import { type RevocationReason } from '@ztp/pki';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const CERTIFICATE_REQUEST_KINDS = ['simpleenroll', 'simplereenroll', 'serverkeygen'] as const;
export type CertificateRequestKind = (typeof CERTIFICATE_REQUEST_KINDS)[number];

/** An operational certificate an owner CA issued to a device through fdo.csr, and its revocation. */
@Entity({ name: 'issued_certificate' })
export class IssuedCertificateEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'owner_tenant_id', type: 'uuid' })
  ownerTenantId!: string;

  @Column({ name: 'device_id', type: 'uuid' })
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
}
