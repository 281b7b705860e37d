import { Column, CreateDateColumn, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { TenantEntity } from '../ledger/tenant.entity';

/**
 * An owner's pending issuing CA: its key already in custody, its CSR exported for the owner's
 * corporate root to sign; replaced by an owner_ca row when the signed certificate is imported.
 */
@Entity({ name: 'owner_ca_request' })
export class OwnerCaRequestEntity {
  @PrimaryColumn({ name: 'owner_tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'owner_ca_request_owner_tenant_id_fkey' })
  ownerTenantId!: string;

  @Column({ name: 'custody_key_id', type: 'text' })
  custodyKeyId!: string;

  @Column({ type: 'text' })
  spec!: string;

  /** DER PKCS#10. */
  @Column({ type: 'bytea' })
  csr!: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
