import { Check, Column, CreateDateColumn, Entity, ForeignKey, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { TenantEntity } from './tenant.entity';

/**
 * A tenant's signing key for vouchers (the "owner key" vouchers are extended to, and the key that
 * signs TO0 and TO2). The private key lives in key custody under `custodyKeyId`; this row is how a
 * voucher's current owner key (by SPKI SHA-256) leads back to its holder and its custody key.
 */
@Check(
  'owner_key_spec_check',
  "(spec = ANY (ARRAY['P-256'::text, 'P-384'::text, 'RSA-2048'::text, 'RSA-3072'::text]))",
)
@Check('owner_key_kind_check', "(kind = ANY (ARRAY['tenant'::text, 'device'::text]))")
@Unique('owner_key_tenant_id_name_key', ['tenantId', 'name'])
@Entity({ name: 'owner_key' })
export class OwnerKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'owner_key_tenant_id_fkey' })
  tenantId!: string;

  @Column({ type: 'text' })
  name!: string;

  /** P-256, P-384, RSA-2048 or RSA-3072 (libs/pki KeySpec). */
  @Column({ type: 'text' })
  spec!: string;

  @Column({ name: 'custody_key_id', type: 'text', unique: true })
  custodyKeyId!: string;

  @Column({ name: 'public_key_spki', type: 'bytea' })
  publicKeySpki!: Buffer;

  /** SHA-256 (hex) of publicKeySpki; matches voucher.owner_key_sha256. */
  @Column({ name: 'public_key_sha256', type: 'text', unique: true })
  publicKeySha256!: string;

  /**
   * tenant: created by the tenant (listed as its owner keys); device: a per-device Owner2Key that
   * TO2 generated for a replacement voucher.
   */
  @Column({ type: 'text', default: 'tenant' })
  kind!: 'tenant' | 'device';

  /** Set when the tenant retires the key; a retired key signs nothing new. */
  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
