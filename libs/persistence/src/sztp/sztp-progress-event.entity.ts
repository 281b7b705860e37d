import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { type StoredSshHostKey } from './sztp-device.entity';

/** Which SZTP server received a report. */
export type SztpServerRole = 'redirect' | 'onboarding';

/** One report-progress call: the device's bootstrapping log. */
@Entity({ name: 'sztp_progress_event' })
export class SztpProgressEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'device_id', type: 'uuid' })
  deviceId!: string;

  /** The device's holder when the report arrived (null when it had no active voucher). */
  @Column({ name: 'holder_tenant_id', type: 'uuid', nullable: true })
  holderTenantId!: string | null;

  @Column({ type: 'text' })
  server!: SztpServerRole;

  /** One of the 27 RFC 8572 progress types. */
  @Column({ name: 'progress_type', type: 'text' })
  progressType!: string;

  @Column({ type: 'text', nullable: true })
  message!: string | null;

  @Column({ name: 'ssh_host_keys', type: 'jsonb', nullable: true })
  sshHostKeys!: StoredSshHostKey[] | null;

  /** base64 certs-only CMS values. */
  @Column({ name: 'trust_anchor_certs', type: 'jsonb', nullable: true })
  trustAnchorCerts!: string[] | null;

  @Column({ name: 'remote_address', type: 'text', nullable: true })
  remoteAddress!: string | null;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;
}
