import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type IdempotencyState = 'in-progress' | 'completed';

/**
 * The first outcome of a mutating request sent with an `Idempotency-Key` header, kept until
 * `expiresAt` so a retry with the same key gets the same answer and has no second effect.
 * `scope` is whose key it is (a tenant id, or `operator`); `fingerprint` binds the key to the
 * method, route and body of the first request.
 */
@Check('idempotency_record_state_check', "(state = ANY (ARRAY['in-progress'::text, 'completed'::text]))")
@Index('idempotency_record_expiry', ['expiresAt'])
@Entity({ name: 'idempotency_record' })
export class IdempotencyRecordEntity {
  @PrimaryColumn({ type: 'text' })
  scope!: string;

  @PrimaryColumn({ name: 'idempotency_key', type: 'text' })
  idempotencyKey!: string;

  /** SHA-256 (hex) over method, route and body. */
  @Column({ type: 'text' })
  fingerprint!: string;

  @Column({ type: 'text' })
  state!: IdempotencyState;

  @Column({ name: 'response_status', type: 'integer', nullable: true })
  responseStatus!: number | null;

  @Column({ name: 'response_body', type: 'jsonb', nullable: true })
  responseBody!: unknown;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** A completed outcome is replayed until then; an in-progress record past it was abandoned. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
