import { type JsonWebKey } from 'node:crypto';
import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** An owner address as registered in to1d (RVTO2Addr), in readable form. */
export interface RegisteredTo2Address {
  ip: string | null;
  dns: string | null;
  port: number;
  protocol: string;
}

/**
 * A rendezvous registration (TO0): where the device with this GUID finds its owner until
 * `expiresAt`. One row per GUID; a new TO0 for the GUID replaces it. `to1d` is the owner-signed
 * blob exactly as received, handed to the device verbatim in TO1.RVRedirect.
 */
@Check('rv_registration_granted_wait_seconds_check', '(granted_wait_seconds >= 0)')
@Check('rv_registration_guid_check', "(guid ~ '^[0-9a-f]{32}$'::text)")
@Check('rv_registration_num_entries_check', '(num_entries >= 0)')
@Check(
  'rv_registration_entry_sha256_check',
  '((entry_sha256 IS NULL) OR (cardinality(entry_sha256) = num_entries))',
)
@Index('rv_registration_expires', ['expiresAt'])
@Index('rv_registration_owner', ['ownerKeySha256', 'expiresAt'])
@Entity({ name: 'rv_registration' })
export class RvRegistrationEntity {
  /** 32 lowercase hex digits. */
  @PrimaryColumn({ type: 'text' })
  guid!: string;

  /** The ownership voucher from to0d, exactly as received. */
  @Column({ type: 'bytea' })
  voucher!: Buffer;

  /** The signed to1d (COSE_Sign1) exactly as received. */
  @Column({ type: 'bytea' })
  to1d!: Buffer;

  @Column({ name: 'num_entries', type: 'integer' })
  numEntries!: number;

  /**
   * SHA-256 of the voucher header's bytes; with `entrySha256` what a replacing TO0's voucher must
   * extend. Null for rows registered before the column existed.
   */
  @Column({ name: 'header_sha256', type: 'bytea', nullable: true })
  headerSha256!: Buffer | null;

  /** SHA-256 of each voucher entry's bytes, in order (num_entries of them); null like headerSha256. */
  @Column({ name: 'entry_sha256', type: 'bytea', array: true, nullable: true })
  entrySha256!: Buffer[] | null;

  /** SHA-256 (hex) of the current owner's SubjectPublicKeyInfo (last voucher entry). */
  @Column({ name: 'owner_key_sha256', type: 'text' })
  ownerKeySha256!: string;

  /** SHA-256 (hex) of the manufacturer's SubjectPublicKeyInfo (voucher header). */
  @Column({ name: 'manufacturer_key_sha256', type: 'text' })
  manufacturerKeySha256!: string;

  /** The device attestation key (leaf of the voucher's device chain), DER SubjectPublicKeyInfo. */
  @Column({ name: 'device_key_spki', type: 'bytea' })
  deviceKeySpki!: Buffer;

  /** The same key as a JWK (faster to import); null for rows registered before the column existed. */
  @Column({ name: 'device_key_jwk', type: 'jsonb', nullable: true })
  deviceKeyJwk!: JsonWebKey | null;

  @Column({ name: 'to2_addresses', type: 'jsonb' })
  to2Addresses!: RegisteredTo2Address[];

  @Column({ name: 'requested_wait_seconds', type: 'bigint' })
  requestedWaitSeconds!: string;

  @Column({ name: 'granted_wait_seconds', type: 'integer' })
  grantedWaitSeconds!: number;

  @Column({ name: 'registered_at', type: 'timestamptz' })
  registeredAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  /** Peer address of the TO0 client. */
  @Column({ name: 'source_address', type: 'text' })
  sourceAddress!: string;
}
