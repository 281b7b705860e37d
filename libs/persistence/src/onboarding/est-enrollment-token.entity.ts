import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DeviceEntity } from '../ledger/device.entity';
import { TenantEntity } from '../ledger/tenant.entity';
import { IssuedCertificateEntity } from './issued-certificate.entity';

/**
 * A one-time token an owner issues for a device's first EST enrolment (simpleenroll). Only its
 * SHA-256 is kept (a 256-bit random secret needs no slow hash); used_at and certificate_id are set
 * in the transaction that records the certificate, so a token enrols once.
 */
@Index('est_enrollment_token_sha256', ['tokenSha256'], { unique: true })
@Entity({ name: 'est_enrollment_token' })
export class EstEnrollmentTokenEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'owner_tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'est_enrollment_token_owner_tenant_id_fkey' })
  ownerTenantId!: string;

  @Column({ name: 'device_id', type: 'uuid' })
  @ForeignKey(() => DeviceEntity, { name: 'est_enrollment_token_device_id_fkey' })
  deviceId!: string;

  /** SHA-256 of the token, hex. */
  @Column({ name: 'token_sha256', type: 'text' })
  tokenSha256!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;

  @Column({ name: 'certificate_id', type: 'uuid', nullable: true })
  @ForeignKey(() => IssuedCertificateEntity, { name: 'est_enrollment_token_certificate_id_fkey' })
  certificateId!: string | null;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
