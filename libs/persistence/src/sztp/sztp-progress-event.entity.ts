import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { SztpDeviceEntity } from './sztp-device.entity';
import { TenantEntity } from '../ledger/tenant.entity';
import { type StoredSshHostKey } from './sztp-device.entity';

/** Which SZTP server received a report. */
export type SztpServerRole = 'redirect' | 'onboarding';

/** One report-progress call: the device's bootstrapping log. */
@Check('sztp_progress_event_server_check', "(server = ANY (ARRAY['redirect'::text, 'onboarding'::text]))")
@Index('sztp_progress_event_device', ['deviceId', 'id'])
@Entity({ name: 'sztp_progress_event' })
export class SztpProgressEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'device_id', type: 'uuid' })
  @ForeignKey(() => SztpDeviceEntity, { name: 'sztp_progress_event_device_id_fkey' })
  deviceId!: string;

  /** The device's holder when the report arrived (null when it had no active voucher). */
  @Column({ name: 'holder_tenant_id', type: 'uuid', nullable: true })
  @ForeignKey(() => TenantEntity, { name: 'sztp_progress_event_holder_tenant_id_fkey' })
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
