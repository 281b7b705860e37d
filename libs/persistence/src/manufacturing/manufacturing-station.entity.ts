import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  ForeignKey,
  Index,
  PrimaryGeneratedColumn,
  Unique,
} from 'typeorm';
import { TenantEntity } from '../ledger/tenant.entity';

/**
 * A factory station allowed to run FDO DI for one manufacturer (and, optionally, one production
 * line). It proves itself by any of: an API key (stored as prefix + SHA-256), a TLS client
 * certificate (SHA-256 fingerprint, presented through a trusted TLS-terminating proxy), or the
 * source address of the request (CIDR allow-list, for closed factory networks whose devices speak
 * plain FDO). A revoked station authenticates nothing.
 */
@Check('manufacturing_station_check', '((api_key_prefix IS NULL) = (api_key_sha256 IS NULL))')
@Check(
  'manufacturing_station_check1',
  '((api_key_prefix IS NOT NULL) OR (client_cert_sha256 IS NOT NULL) OR (cardinality(allowed_cidrs) > 0))',
)
@Check('manufacturing_station_client_cert_sha256_check', "(client_cert_sha256 ~ '^[0-9a-f]{64}$'::text)")
@Unique('manufacturing_station_tenant_id_name_key', ['tenantId', 'name'])
@Index('manufacturing_station_client_cert', ['clientCertSha256'], {
  unique: true,
  where: '((client_cert_sha256 IS NOT NULL) AND (revoked_at IS NULL))',
})
@Entity({ name: 'manufacturing_station' })
export class ManufacturingStationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'manufacturing_station_tenant_id_fkey' })
  tenantId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'production_line', type: 'text', nullable: true })
  productionLine!: string | null;

  /** Public, unique lookup part of the API key; null when the station has no API key. */
  @Column({ name: 'api_key_prefix', type: 'text', nullable: true, unique: true })
  apiKeyPrefix!: string | null;

  /** SHA-256 (hex) of the whole API key. */
  @Column({ name: 'api_key_sha256', type: 'text', nullable: true })
  apiKeySha256!: string | null;

  /** SHA-256 (hex) of the DER of the station's TLS client certificate. */
  @Column({ name: 'client_cert_sha256', type: 'text', nullable: true })
  clientCertSha256!: string | null;

  /** Source networks (PostgreSQL cidr[]), e.g. {10.20.0.0/16}; empty when not used. */
  @Column({ name: 'allowed_cidrs', type: 'cidr', array: true, default: () => `'{}'` })
  allowedCidrs!: string[];

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
