import { Check, Column, CreateDateColumn, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { TenantEntity } from '../ledger/tenant.entity';

/**
 * An owner tenant's certification authority for operational device certificates (fdo.csr). The
 * private key stays in key custody under `custodyKeyId`; `certificate` is the self-signed root,
 * or the owner's own issuing CA signed by its corporate root (imported, `chainPem` above it).
 */
@Check(
  'owner_ca_spec_check',
  "(spec = ANY (ARRAY['P-256'::text, 'P-384'::text, 'RSA-2048'::text, 'RSA-3072'::text]))",
)
@Entity({ name: 'owner_ca' })
export class OwnerCaEntity {
  @PrimaryColumn({ name: 'owner_tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'owner_ca_owner_tenant_id_fkey' })
  ownerTenantId!: string;

  @Column({ name: 'custody_key_id', type: 'text', unique: true })
  custodyKeyId!: string;

  /** P-256, P-384, RSA-2048 or RSA-3072. */
  @Column({ type: 'text' })
  spec!: string;

  @Column({ type: 'text' })
  subject!: string;

  /** DER. */
  @Column({ type: 'bytea' })
  certificate!: Buffer;

  /** For an imported CA: the certificates above it up to the owner's root (PEM); null for our own root. */
  @Column({ name: 'chain_pem', type: 'text', nullable: true })
  chainPem!: string | null;

  /**
   * fdo.csr serverkeygen: the owner generates the device's operational key and sends it in the
   * tunnel. Off by default (the device should keep its private key to itself).
   */
  @Column({ name: 'allow_server_keygen', type: 'boolean', default: false })
  allowServerKeygen!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
