import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  ForeignKey,
  Index,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import { TenantEntity } from '../ledger/tenant.entity';

/** The boot image of an onboarding profile. */
export interface StoredBootImage {
  osName?: string;
  osVersion?: string;
  downloadUris: string[];
  /** SHA-256 of the image, lowercase hex. */
  sha256?: string;
}

export const CONFIGURATION_HANDLINGS = ['merge', 'replace'] as const;
export type StoredConfigurationHandling = (typeof CONFIGURATION_HANDLINGS)[number];

/**
 * What an owner's bootstrap server gives a device as onboarding-information: boot image, scripts,
 * configuration, and whether to issue an LDevID (RFC 9646) delivered in the configuration as an
 * ietf-keystore entry.
 */
@Check('sztp_onboarding_profile_check', '((configuration IS NULL) OR (configuration_handling IS NOT NULL))')
@Check(
  'sztp_onboarding_profile_configuration_handling_check',
  "(configuration_handling = ANY (ARRAY['merge'::text, 'replace'::text]))",
)
@Unique('sztp_onboarding_profile_tenant_id_name_key', ['tenantId', 'name'])
@Index('sztp_onboarding_profile_default', ['tenantId'], { unique: true, where: 'is_default' })
@Entity({ name: 'sztp_onboarding_profile' })
export class SztpOnboardingProfileEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The owner tenant. */
  @Column({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'sztp_onboarding_profile_tenant_id_fkey' })
  tenantId!: string;

  @Column({ type: 'text' })
  name!: string;

  /** Used for the tenant's devices that have no profile of their own (at most one per tenant). */
  @Column({ name: 'is_default', type: 'boolean' })
  isDefault!: boolean;

  @Column({ name: 'boot_image', type: 'jsonb', nullable: true })
  bootImage!: StoredBootImage | null;

  @Column({ name: 'pre_configuration_script', type: 'bytea', nullable: true })
  preConfigurationScript!: Buffer | null;

  @Column({ type: 'bytea', nullable: true })
  configuration!: Buffer | null;

  /** Set exactly when `configuration` is, or when an LDevID is issued. */
  @Column({ name: 'configuration_handling', type: 'text', nullable: true })
  configurationHandling!: StoredConfigurationHandling | null;

  @Column({ name: 'post_configuration_script', type: 'bytea', nullable: true })
  postConfigurationScript!: Buffer | null;

  /** Ask devices that offer csr-support for a CSR and deliver an LDevID from the owner CA. */
  @Column({ name: 'issue_ldevid', type: 'boolean' })
  issueLdevid!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
