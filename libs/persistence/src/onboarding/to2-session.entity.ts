import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

export const TO2_SESSION_STAGES = ['proving', 'setup', 'service-info', 'done', 'failed'] as const;
/**
 * Where a TO2 session stands, i.e. which device message it accepts next:
 * proving (after 61: 62 or 64), setup (after 65: 66), service-info (after 67: 68, or 70 once the
 * owner said IsDone), done (after 71) and failed (a ServiceInfo module failed; nothing accepted).
 */
export type To2SessionStage = (typeof TO2_SESSION_STAGES)[number];

/**
 * One TO2 protocol run, so any owner-onboarding replica can serve any of its messages. Keyed by the
 * SHA-256 of the bearer token (the token itself is never stored). `state` is the sealed protocol
 * state (nonces, key exchange state, tunnel keys, ServiceInfo progress); `version` increases with
 * every accepted message and guards against two replicas processing one session at once.
 * No foreign keys: rows are short-lived and swept after `expires_at`.
 */
@Check(
  'to2_session_stage_check',
  "(stage = ANY (ARRAY['proving'::text, 'setup'::text, 'service-info'::text, 'done'::text, 'failed'::text]))",
)
@Index('to2_session_expires', ['expiresAt'])
@Entity({ name: 'to2_session' })
export class To2SessionEntity {
  @PrimaryColumn({ name: 'token_hash', type: 'bytea' })
  tokenHash!: Buffer;

  @Column({ name: 'owner_tenant_id', type: 'uuid' })
  ownerTenantId!: string;

  @Column({ name: 'device_id', type: 'uuid' })
  deviceId!: string;

  @Column({ name: 'voucher_id', type: 'uuid' })
  voucherId!: string;

  @Column({ type: 'text' })
  stage!: To2SessionStage;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'bytea' })
  state!: Buffer;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
