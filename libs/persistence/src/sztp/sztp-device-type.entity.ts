import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  ForeignKey,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import { TenantEntity } from '../ledger/tenant.entity';

/** Where the device serial number is read from in its IDevID certificate. */
export const SERIAL_NUMBER_SOURCES = ['subject-serial-number', 'common-name', 'subject-alt-name'] as const;
export type SerialNumberSource = (typeof SERIAL_NUMBER_SOURCES)[number];

/**
 * What the SZTP servers answer devices of this type with. signed: CMS SignedData conveyed
 * information with owner certificate and ownership voucher (RFC 8572 for real devices). lab: the
 * unsigned, minimal output the OPI sztp-agent and fl-sztp clients can parse (only
 * conveyed-information; boot-image only download-uri and image-verification). A device that sends
 * signed-data-preferred always gets signed data.
 */
export const SZTP_OUTPUT_PROFILES = ['signed', 'lab'] as const;
export type SztpOutputProfile = (typeof SZTP_OUTPUT_PROFILES)[number];

/**
 * A manufacturer's kind of SZTP device: the IDevID trust anchors its client certificates chain to,
 * how the serial number is read from them, and how devices of the type may and must be answered.
 */
@Check('sztp_device_type_output_profile_check', "(output_profile = ANY (ARRAY['signed'::text, 'lab'::text]))")
@Check(
  'sztp_device_type_serial_number_source_check',
  "(serial_number_source = ANY (ARRAY['subject-serial-number'::text, 'common-name'::text, 'subject-alt-name'::text]))",
)
@Unique('sztp_device_type_tenant_id_name_key', ['tenantId', 'name'])
@Check('sztp_device_type_trust_anchors_check', "(jsonb_typeof(trust_anchors) = 'array'::text)")
@Entity({ name: 'sztp_device_type' })
export class SztpDeviceTypeEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The manufacturer tenant. */
  @Column({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'sztp_device_type_tenant_id_fkey' })
  tenantId!: string;

  @Column({ type: 'text' })
  name!: string;

  /** DER certificates (base64) an IDevID must chain to: the manufacturer's device CA(s). */
  @Column({ name: 'trust_anchors', type: 'jsonb' })
  trustAnchors!: string[];

  @Column({ name: 'serial_number_source', type: 'text' })
  serialNumberSource!: SerialNumberSource;

  /**
   * Optional regular expression applied to each source value; the first match wins and its first
   * capture group (or the whole match) is the serial, e.g. `SN:(\S+)` for "PID:C9300 SN:FOC1234".
   */
  @Column({ name: 'serial_number_pattern', type: 'text', nullable: true })
  serialNumberPattern!: string | null;

  @Column({ name: 'output_profile', type: 'text' })
  outputProfile!: SztpOutputProfile;

  /** Devices of this type may authenticate with HTTP Basic serial + activation code. */
  @Column({ name: 'activation_code_fallback', type: 'boolean' })
  activationCodeFallback!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
