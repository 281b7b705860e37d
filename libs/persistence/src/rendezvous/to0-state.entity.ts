import {
  Check,
  Column,
  Entity,
  ForeignKey,
  Index,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import { DeviceEntity } from '../ledger/device.entity';
import { VoucherEntity } from '../ledger/voucher.entity';

export const TO0_STATE_STATUSES = ['pending', 'registered', 'failed', 'unsupported', 'stopped'] as const;
/**
 * pending: not yet attempted (or due again after a change); registered: the rendezvous server
 * accepted the last TO0; failed: the last attempt failed, another is scheduled; unsupported: the
 * directive names a transport TO0 cannot use here (e.g. coap, tls), never retried; stopped: the
 * device onboarded or the voucher is no longer held by an owner here.
 */
export type To0StateStatus = (typeof TO0_STATE_STATUSES)[number];

/**
 * Automatic TO0 state of one voucher at one rendezvous URL (from the voucher's RendezvousInfo,
 * owner view): what the worker did last, and when it will act next.
 */
@Check(
  'to0_state_status_check',
  "(status = ANY (ARRAY['pending'::text, 'registered'::text, 'failed'::text, 'unsupported'::text, 'stopped'::text]))",
)
@Unique('to0_state_voucher_id_rv_url_key', ['voucherId', 'rvUrl'])
@Index('to0_state_device', ['deviceId'])
@Index('to0_state_due', ['nextAttemptAt'], { where: '(next_attempt_at IS NOT NULL)' })
@Index('to0_state_guid', ['guid'])
@Entity({ name: 'to0_state' })
export class To0StateEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'voucher_id', type: 'uuid' })
  @ForeignKey(() => VoucherEntity, { name: 'to0_state_voucher_id_fkey', onDelete: 'CASCADE' })
  voucherId!: string;

  @Column({ name: 'device_id', type: 'uuid' })
  @ForeignKey(() => DeviceEntity, { name: 'to0_state_device_id_fkey', onDelete: 'CASCADE' })
  deviceId!: string;

  /** 32 lowercase hex digits. */
  @Column({ type: 'text' })
  guid!: string;

  /** e.g. http://rv.example.com:8040 */
  @Column({ name: 'rv_url', type: 'text' })
  rvUrl!: string;

  /** Position of the directive in the voucher's RendezvousInfo. */
  @Column({ name: 'directive_index', type: 'integer' })
  directiveIndex!: number;

  @Column({ type: 'text' })
  status!: To0StateStatus;

  /** The holder, owner key and owner addresses the last registration was made for (changes re-register). */
  @Column({ name: 'target_digest', type: 'text', nullable: true })
  targetDigest!: string | null;

  /** Until when the rendezvous server keeps the last accepted registration. */
  @Column({ name: 'registered_until', type: 'timestamptz', nullable: true })
  registeredUntil!: Date | null;

  @Column({ name: 'granted_wait_seconds', type: 'integer', nullable: true })
  grantedWaitSeconds!: number | null;

  /** Failed attempts since the last success (drives the backoff). */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'last_attempt_at', type: 'timestamptz', nullable: true })
  lastAttemptAt!: Date | null;

  @Column({ name: 'last_success_at', type: 'timestamptz', nullable: true })
  lastSuccessAt!: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  /** The FDO error code when the rendezvous server answered with an Error message (255). */
  @Column({ name: 'last_error_code', type: 'integer', nullable: true })
  lastErrorCode!: number | null;

  /** When the worker acts next (retry or re-registration); null: never (unsupported, stopped). */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
