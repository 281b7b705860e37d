import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  ForeignKey,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';
import { TenantEntity } from '../ledger/tenant.entity';

/** One of the owner's SZTP bootstrap servers, as put into redirect-information. */
export interface StoredBootstrapServer {
  /** Host name or IP address. */
  address: string;
  /** Default 443. */
  port?: number;
  /** DER certificates (base64) authenticating that server's TLS certificate. */
  trustAnchors?: string[];
}

/**
 * A tenant's SZTP owner identity: its owner CA (the certificate vouchers pin as pinned-domain-cert,
 * and the issuer of LDevIDs) and the owner (signing) certificate issued by it, which signs conveyed
 * information; plus where its bootstrap servers are. Private keys stay in key custody.
 */
@Check('sztp_owner_ldevid_validity_days_check', '(ldevid_validity_days > 0)')
@Entity({ name: 'sztp_owner' })
export class SztpOwnerEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'sztp_owner_tenant_id_fkey' })
  tenantId!: string;

  @Column({ name: 'ca_key_id', type: 'text' })
  caKeyId!: string;

  /** DER; the pinned-domain-cert of vouchers issued to this owner. */
  @Column({ name: 'ca_certificate', type: 'bytea' })
  caCertificate!: Buffer;

  @Column({ name: 'signing_key_id', type: 'text' })
  signingKeyId!: string;

  /** DER owner certificate (end-entity, digitalSignature), issued by the owner CA. */
  @Column({ name: 'signing_certificate', type: 'bytea' })
  signingCertificate!: Buffer;

  @Column({ name: 'bootstrap_servers', type: 'jsonb', default: [] })
  bootstrapServers!: StoredBootstrapServer[];

  /** Validity of LDevIDs issued to this owner's devices (capped at the CA's notAfter). */
  @Column({ name: 'ldevid_validity_days', type: 'integer' })
  ldevidValidityDays!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
