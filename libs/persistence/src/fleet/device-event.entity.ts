import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DeviceEntity } from '../ledger/device.entity';
import { TenantEntity } from '../ledger/tenant.entity';
import { SztpDeviceEntity } from '../sztp/sztp-device.entity';

export const DEVICE_EVENT_PROTOCOLS = ['fdo', 'sztp'] as const;
export type DeviceEventProtocol = (typeof DEVICE_EVENT_PROTOCOLS)[number];
export const DEVICE_EVENT_RESULTS = ['succeeded', 'failed'] as const;
export type DeviceEventResult = (typeof DEVICE_EVENT_RESULTS)[number];

/**
 * One outcome in a device's history that no other table keeps: a failed DI, TO1, TO2 or SZTP
 * exchange (the message, the error code answered and the reason), a finished onboarding. The same
 * failure repeated within DEVICE_EVENT_COALESCE_SECONDS is one row whose `repeats` grows.
 */
@Check('device_event_protocol_check', "(protocol = ANY (ARRAY['fdo'::text, 'sztp'::text]))")
@Check('device_event_result_check', "(result = ANY (ARRAY['succeeded'::text, 'failed'::text]))")
@Index('device_event_device', ['deviceId', 'id'])
@Index('device_event_sztp_device', ['sztpDeviceId', 'id'])
@Entity({ name: 'device_event' })
export class DeviceEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  /** The FDO device (stable across GUIDs); null for SZTP devices and for failures of an unknown device. */
  @Column({ name: 'device_id', type: 'uuid', nullable: true })
  @ForeignKey(() => DeviceEntity, { name: 'device_event_device_id_fkey', onDelete: 'CASCADE' })
  deviceId!: string | null;

  @Column({ name: 'sztp_device_id', type: 'uuid', nullable: true })
  @ForeignKey(() => SztpDeviceEntity, { name: 'device_event_sztp_device_id_fkey', onDelete: 'CASCADE' })
  sztpDeviceId!: string | null;

  /** Whose history it is part of (the manufacturer for DI, the holder of the voucher otherwise). */
  @Column({ name: 'tenant_id', type: 'uuid', nullable: true })
  @ForeignKey(() => TenantEntity, { name: 'device_event_tenant_id_fkey', onDelete: 'CASCADE' })
  tenantId!: string | null;

  /** The GUID the device used at the time (FDO). */
  @Column({ type: 'text', nullable: true })
  guid!: string | null;

  @Column({ type: 'text' })
  protocol!: DeviceEventProtocol;

  /** e.g. `to2.failed`, `to1.failed`, `di.failed`, `sztp.bootstrap-failed`, `to2.succeeded`. */
  @Column({ name: 'event_type', type: 'text' })
  eventType!: string;

  /** The FDO message that failed (e.g. 30, 61, 70). */
  @Column({ name: 'message_type', type: 'integer', nullable: true })
  messageType!: number | null;

  @Column({ type: 'text' })
  result!: DeviceEventResult;

  /** FDO error code (ErrorMessage EMErrorCode) answered. */
  @Column({ name: 'error_code', type: 'integer', nullable: true })
  errorCode!: number | null;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ type: 'jsonb', default: {} })
  data!: Record<string, unknown>;

  @Column({ type: 'integer', default: 1 })
  repeats!: number;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'last_occurred_at', type: 'timestamptz' })
  lastOccurredAt!: Date;
}
