import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/** What a failure count is about: a device's serial number, or the address the guesses came from. */
export type SztpAuthFailureScope = 'serial' | 'source';

/** Failed activation-code attempts in the current window, and the lockout they led to. */
@Check('sztp_auth_failure_scope_check', "(scope = ANY (ARRAY['serial'::text, 'source'::text]))")
@Entity({ name: 'sztp_auth_failure' })
export class SztpAuthFailureEntity {
  @PrimaryColumn({ type: 'text' })
  scope!: SztpAuthFailureScope;

  @PrimaryColumn({ type: 'text' })
  subject!: string;

  @Column({ name: 'window_started_at', type: 'timestamptz' })
  windowStartedAt!: Date;

  @Column({ type: 'integer' })
  failures!: number;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;
}
