import { Column, CreateDateColumn, Entity, ForeignKey, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { TenantEntity } from '../ledger/tenant.entity';

/**
 * A manufacturer's Manufacturer Authorized Signing Authority for RFC 8366 vouchers. Ours (with a
 * custody key) issues vouchers; an external one (no custody key) only lets vouchers it signed be
 * imported into the ledger after verification.
 */
@Unique('sztp_masa_tenant_id_name_key', ['tenantId', 'name'])
@Entity({ name: 'sztp_masa' })
export class SztpMasaEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The manufacturer tenant. */
  @Column({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'sztp_masa_tenant_id_fkey' })
  tenantId!: string;

  @Column({ type: 'text' })
  name!: string;

  /** DER of the certificate whose key signs vouchers. */
  @Column({ type: 'bytea' })
  certificate!: Buffer;

  /** DER certificates (base64) between the signing certificate and the trust anchors, added to vouchers. */
  @Column({ type: 'jsonb', default: [] })
  chain!: string[];

  /**
   * DER certificates (base64) imported vouchers must chain to. Empty: the voucher must be signed by
   * exactly `certificate` (pinned). Devices are configured with these (or with `certificate`).
   */
  @Column({ name: 'trust_anchors', type: 'jsonb', default: [] })
  trustAnchors!: string[];

  /** Custody id of the signing key; null for an external MASA (verification only). */
  @Column({ name: 'custody_key_id', type: 'text', nullable: true, unique: true })
  custodyKeyId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
