import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

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
@Entity({ name: 'manufacturer_pki' })
export class ManufacturerPkiEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ name: 'root_ca_key_id', type: 'text' })
  rootCaKeyId!: string;

  /** DER. */
  @Column({ name: 'root_ca_certificate', type: 'bytea' })
  rootCaCertificate!: Buffer;

  @Column({ name: 'intermediate_ca_key_id', type: 'text' })
  intermediateCaKeyId!: string;

  /** DER. */
  @Column({ name: 'intermediate_ca_certificate', type: 'bytea' })
  intermediateCaCertificate!: Buffer;

  /** The owner_key row whose public key goes into every OVHeader as the manufacturer key. */
  @Column({ name: 'voucher_key_id', type: 'uuid' })
  voucherKeyId!: string;

  @Column({ name: 'manufacturer_key_encoding', type: 'text' })
  manufacturerKeyEncoding!: ManufacturerKeyEncoding;

  /** Requested validity of device certificates (capped at the intermediate's notAfter). */
  @Column({ name: 'device_cert_validity_days', type: 'integer' })
  deviceCertValidityDays!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
