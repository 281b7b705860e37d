import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { TenantEntity } from '../ledger/tenant.entity';

/**
 * An API key (libs/auth). The key itself is shown once at creation and never stored: only its
 * lookup prefix (visible in the key, so a presented key finds its row with one indexed read) and
 * the SHA-256 of the whole key. `tenantId` null makes it a platform operator key.
 */
@Check('api_key_key_sha256_check', '(length(key_sha256) = 32)')
@Check('api_key_prefix_check', "(prefix ~ '^[0-9a-f]{12}$'::text)")
@Index('api_key_tenant', ['tenantId', 'createdAt'])
@Entity({ name: 'api_key' })
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid', nullable: true })
  @ForeignKey(() => TenantEntity, { name: 'api_key_tenant_id_fkey' })
  tenantId!: string | null;

  @Column({ type: 'text' })
  name!: string;

  /** The random 12 hex digits after `ztp_` in the key. */
  @Column({ type: 'text', unique: true })
  prefix!: string;

  /** SHA-256 of the whole key string. */
  @Column({ name: 'key_sha256', type: 'bytea' })
  keySha256!: Buffer;

  /** Tenant roles the key grants (empty for operator keys, which are operators). */
  @Column({ type: 'jsonb', default: [] })
  roles!: string[];

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  /** Who created it, as an audit actor (`api-key:<id>`, `jwt:<sub>`, `operator:bootstrap`, `system`). */
  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
