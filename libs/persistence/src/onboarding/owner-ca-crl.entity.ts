import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { OwnerCaEntity } from './owner-ca.entity';

/**
 * The CRL an owner CA last signed (RFC 5280), one row per CA. `stale` is set in the transaction of
 * every revocation; the next fetch signs a new CRL under this row's lock (CertificateRevocations).
 */
@Entity({ name: 'owner_ca_crl' })
export class OwnerCaCrlEntity {
  @PrimaryColumn({ name: 'owner_tenant_id', type: 'uuid' })
  @ForeignKey(() => OwnerCaEntity, 'ownerTenantId', { name: 'owner_ca_crl_owner_tenant_id_fkey' })
  ownerTenantId!: string;

  /** The cRLNumber of `crl`; bigint, so a string. 0 before the first CRL. */
  @Column({ name: 'crl_number', type: 'bigint', default: 0 })
  crlNumber!: string;

  @Column({ name: 'this_update', type: 'timestamptz', nullable: true })
  thisUpdate!: Date | null;

  @Column({ name: 'next_update', type: 'timestamptz', nullable: true })
  nextUpdate!: Date | null;

  /** DER; null until the first fetch signs one. */
  @Column({ type: 'bytea', nullable: true })
  crl!: Buffer | null;

  /** A revocation happened since `crl` was signed. */
  @Column({ type: 'boolean', default: true })
  stale!: boolean;
}
