import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  Unique,
} from 'typeorm';

/**
 * The rendezvous acceptance policy's settings: one row (id 1). Without the row the defaults from
 * the configuration apply (RENDEZVOUS_DEFAULT_POLICY).
 */
@Check('rv_policy_check', '(max_wait_seconds >= min_wait_seconds)')
@Check('rv_policy_id_check', '(id = 1)')
@Check('rv_policy_min_wait_seconds_check', '(min_wait_seconds >= 0)')
@Entity({ name: 'rv_policy' })
export class RvPolicyEntity {
  @PrimaryColumn({ type: 'integer' })
  id!: number;

  /** With no trusted manufacturer, device CA or allowed owner listed: accept any voucher (true) or none. */
  @Column({ name: 'open_mode', type: 'boolean' })
  openMode!: boolean;

  /** Shorter requested registrations are raised to this. */
  @Column({ name: 'min_wait_seconds', type: 'integer' })
  minWaitSeconds!: number;

  /** Longer requested registrations are cut to this. */
  @Column({ name: 'max_wait_seconds', type: 'integer' })
  maxWaitSeconds!: number;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

export const RV_POLICY_ENTRY_KINDS = ['manufacturer-key', 'device-ca', 'owner-allow', 'owner-deny'] as const;
/**
 * manufacturer-key: a trusted manufacturer public key; device-ca: a trusted device CA certificate;
 * owner-allow / owner-deny: owner keys allowed or refused.
 */
export type RvPolicyEntryKind = (typeof RV_POLICY_ENTRY_KINDS)[number];

/** One entry of a policy list. Keys are named by the SHA-256 of their SubjectPublicKeyInfo. */
@Check('rv_policy_entry_check', "((kind = 'device-ca'::text) = (certificate IS NOT NULL))")
@Check(
  'rv_policy_entry_kind_check',
  "(kind = ANY (ARRAY['manufacturer-key'::text, 'device-ca'::text, 'owner-allow'::text, 'owner-deny'::text]))",
)
@Unique('rv_policy_entry_kind_sha256_key', ['kind', 'sha256'])
@Check('rv_policy_entry_sha256_check', "(sha256 ~ '^[0-9a-f]{64}$'::text)")
@Entity({ name: 'rv_policy_entry' })
export class RvPolicyEntryEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  kind!: RvPolicyEntryKind;

  /** Keys: SHA-256 (hex) of the SubjectPublicKeyInfo; device CAs: SHA-256 (hex) of the certificate. */
  @Column({ type: 'text' })
  sha256!: string;

  /** device-ca only: the CA certificate, DER. */
  @Column({ type: 'bytea', nullable: true })
  certificate!: Buffer | null;

  /**
   * device-ca only: SHA-256 (hex) of the SubjectPublicKeyInfo of each manufacturer key this CA's
   * devices are vouched by. A voucher accepted through the CA must carry one of them.
   */
  @Column({ name: 'manufacturer_keys', type: 'text', array: true, default: () => `'{}'` })
  manufacturerKeys!: string[];

  @Column({ type: 'text', nullable: true })
  label!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
