import { Check, Column, CreateDateColumn, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { TenantEntity } from '../ledger/tenant.entity';
import { OwnerKeyEntity } from '../ledger/owner-key.entity';

/** How the manufacturer key is written into OVHeaders. */
export const MANUFACTURER_KEY_ENCODINGS = ['x509', 'cose-key', 'as-requested'] as const;
/**
 * x509: DER SubjectPublicKeyInfo (pkEnc 1, what go-fdo's devices ask for and get);
 * cose-key: COSE_Key (pkEnc 3); as-requested: the encoding the device names in DeviceMfgInfo
 * when it is X509 or COSEKEY, else X509.
 */
export type ManufacturerKeyEncoding = (typeof MANUFACTURER_KEY_ENCODINGS)[number];

/**
 * A manufacturer tenant's device PKI and voucher-signing key: the root CA, the manufacturing
 * intermediate CA that signs device certificates during DI, and the owner key whose public half is
 * the manufacturer key of every voucher it creates. Private keys stay in key custody; only their
 * custody ids are here.
 */
@Check('manufacturer_pki_device_cert_validity_days_check', '(device_cert_validity_days > 0)')
@Check(
  'manufacturer_pki_manufacturer_key_encoding_check',
  "(manufacturer_key_encoding = ANY (ARRAY['x509'::text, 'cose-key'::text, 'as-requested'::text]))",
)
@Entity({ name: 'manufacturer_pki' })
export class ManufacturerPkiEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'manufacturer_pki_tenant_id_fkey' })
  tenantId!: string;

  @Column({ name: 'root_ca_key_id', type: 'text', unique: true })
  rootCaKeyId!: string;

  /** DER. */
  @Column({ name: 'root_ca_certificate', type: 'bytea' })
  rootCaCertificate!: Buffer;

  @Column({ name: 'intermediate_ca_key_id', type: 'text', unique: true })
  intermediateCaKeyId!: string;

  /** DER. */
  @Column({ name: 'intermediate_ca_certificate', type: 'bytea' })
  intermediateCaCertificate!: Buffer;

  /** The owner_key row whose public key goes into every OVHeader as the manufacturer key. */
  @Column({ name: 'voucher_key_id', type: 'uuid', unique: true })
  @ForeignKey(() => OwnerKeyEntity, { name: 'manufacturer_pki_voucher_key_id_fkey' })
  voucherKeyId!: string;

  @Column({ name: 'manufacturer_key_encoding', type: 'text' })
  manufacturerKeyEncoding!: ManufacturerKeyEncoding;

  /** Requested validity of device certificates (capped at the intermediate's notAfter). */
  @Column({ name: 'device_cert_validity_days', type: 'integer' })
  deviceCertValidityDays!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
