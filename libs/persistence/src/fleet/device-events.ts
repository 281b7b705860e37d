import { type EntityManager } from 'typeorm';
import { type DeviceEventProtocol, type DeviceEventResult } from './device-event.entity';

/**
 * The same failure (event type, message, error code) of one device within this many seconds of
 * its last occurrence is counted on that row, not written again: a device retrying in a loop
 * leaves one row (and raises one webhook) per window.
 */
export const DEVICE_EVENT_COALESCE_SECONDS = 300;

/**
 * Which device: an FDO GUID (current or any earlier one), the stable device id, the TO2 session
 * (by its token's hash: the device and the session's owner), or an SZTP device.
 */
export type DeviceEventTarget =
  | { guid: string }
  | { deviceId: string }
  | { to2TokenHash: Buffer }
  | { sztpDeviceId: string }
  /** A device DI has not stored yet: the manufacturer's history, by serial number (and GUID once made). */
  | { manufacturing: { tenantId: string; serialNumber: string; guid: string | null } };

export interface DeviceEventInput {
  readonly target: DeviceEventTarget;
  readonly protocol: DeviceEventProtocol;
  /** e.g. `to2.failed`, `to1.failed`, `di.failed`, `to0.failed`, `sztp.bootstrap-failed`. */
  readonly eventType: string;
  readonly result: DeviceEventResult;
  readonly messageType?: number | null;
  readonly errorCode?: number | null;
  readonly reason?: string | null;
  readonly data?: Record<string, unknown>;
  /** Whose history; default: the holder of the device's active voucher. */
  readonly tenantId?: string | null;
}

export interface RecordedDeviceEvent {
  readonly id: string;
  readonly deviceId: string | null;
  readonly sztpDeviceId: string | null;
  readonly tenantId: string | null;
  readonly guid: string | null;
  /** False: an earlier row of the same failure was counted instead (no new webhook). */
  readonly inserted: boolean;
  readonly repeats: number;
}

const MAX_REASON_LENGTH = 1000;

/**
 * Writes device events (the rows `GET /v1/devices/{id}/events` lists beside the audit log, TO0
 * state and SZTP progress). `record` runs in the caller's transaction, so a webhook raised for a
 * new row commits with it. A device the ledger does not know (a GUID registered at this
 * rendezvous by someone else) is not recorded.
 */
export class DeviceEvents {
  constructor(private readonly now: () => Date = () => new Date()) {}

  async record(manager: EntityManager, input: DeviceEventInput): Promise<RecordedDeviceEvent | undefined> {
    const resolved = await resolveTarget(manager, input.target);
    if (!resolved) return undefined;
    const tenantId = input.tenantId === undefined ? resolved.holderTenantId : input.tenantId;
    const now = this.now();
    const reason = input.reason?.slice(0, MAX_REASON_LENGTH) ?? null;
    const messageType = input.messageType ?? null;
    const errorCode = input.errorCode ?? null;
    const keyed = resolved.deviceId
      ? { where: 'device_id = $1', key: resolved.deviceId }
      : resolved.sztpDeviceId
        ? { where: 'sztp_device_id = $1', key: resolved.sztpDeviceId }
        : {
            where: `device_id IS NULL AND sztp_device_id IS NULL AND tenant_id = $7::uuid AND data->>'serialNumber' = $1`,
            key: resolved.serialNumber,
          };
    if (input.result === 'failed') {
      const bumped: { id: string; repeats: number }[] = await manager.query(
        `UPDATE device_event SET repeats = repeats + 1, last_occurred_at = $2, reason = $3
          WHERE id = (SELECT id FROM device_event WHERE ${keyed.where} ORDER BY id DESC LIMIT 1)
            AND event_type = $4 AND message_type IS NOT DISTINCT FROM $5::integer
            AND error_code IS NOT DISTINCT FROM $6::integer AND tenant_id IS NOT DISTINCT FROM $7::uuid
            AND last_occurred_at > $2::timestamptz - make_interval(secs => $8)
        RETURNING id::text AS id, repeats`,
        [
          keyed.key,
          now,
          reason,
          input.eventType,
          messageType,
          errorCode,
          tenantId,
          DEVICE_EVENT_COALESCE_SECONDS,
        ],
      );
      // pg returns [rows, count] for UPDATE ... RETURNING through TypeORM's query().
      const row = (Array.isArray(bumped[0]) ? (bumped[0] as unknown[]) : bumped)[0] as
        { id: string; repeats: number } | undefined;
      if (row)
        return {
          id: row.id,
          deviceId: resolved.deviceId,
          sztpDeviceId: resolved.sztpDeviceId,
          tenantId,
          guid: resolved.guid,
          inserted: false,
          repeats: row.repeats,
        };
    }
    const [inserted]: { id: string }[] = await manager.query(
      `INSERT INTO device_event (device_id, sztp_device_id, tenant_id, guid, protocol, event_type, message_type,
                                 result, error_code, reason, data, occurred_at, last_occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $12)
       RETURNING id::text AS id`,
      [
        resolved.deviceId,
        resolved.sztpDeviceId,
        tenantId,
        resolved.guid,
        input.protocol,
        input.eventType,
        messageType,
        input.result,
        errorCode,
        reason,
        JSON.stringify(
          resolved.serialNumber ? { ...input.data, serialNumber: resolved.serialNumber } : (input.data ?? {}),
        ),
        now,
      ],
    );
    return {
      id: inserted!.id,
      deviceId: resolved.deviceId,
      sztpDeviceId: resolved.sztpDeviceId,
      tenantId,
      guid: resolved.guid,
      inserted: true,
      repeats: 1,
    };
  }
}

interface ResolvedTarget {
  /** Only for a device DI has not stored: what its events are keyed by. */
  serialNumber?: string;
  deviceId: string | null;
  sztpDeviceId: string | null;
  guid: string | null;
  holderTenantId: string | null;
}

async function resolveTarget(
  manager: EntityManager,
  target: DeviceEventTarget,
): Promise<ResolvedTarget | undefined> {
  if ('manufacturing' in target) {
    const { tenantId, serialNumber, guid } = target.manufacturing;
    return { deviceId: null, sztpDeviceId: null, guid, holderTenantId: tenantId, serialNumber };
  }
  if ('sztpDeviceId' in target) {
    const rows: { holder: string | null }[] = await manager.query(
      `SELECT (SELECT holder_tenant_id FROM sztp_voucher WHERE device_id = s.id AND status = 'active' LIMIT 1) AS holder
         FROM sztp_device s WHERE s.id = $1`,
      [target.sztpDeviceId],
    );
    if (!rows[0]) return undefined;
    return { deviceId: null, sztpDeviceId: target.sztpDeviceId, guid: null, holderTenantId: rows[0].holder };
  }
  if ('to2TokenHash' in target) {
    const rows: { id: string; guid: string; holder: string }[] = await manager.query(
      `SELECT d.id, d.guid, s.owner_tenant_id AS holder
         FROM to2_session s JOIN device d ON d.id = s.device_id WHERE s.token_hash = $1`,
      [target.to2TokenHash],
    );
    const row = rows[0];
    return row
      ? { deviceId: row.id, sztpDeviceId: null, guid: row.guid, holderTenantId: row.holder }
      : undefined;
  }
  const byGuid = 'guid' in target;
  const rows: { id: string; guid: string; holder: string | null }[] = await manager.query(
    byGuid
      ? `SELECT d.id, $1::text AS guid,
                (SELECT holder_tenant_id FROM voucher WHERE device_id = d.id AND status = 'active' LIMIT 1) AS holder
           FROM device d
          WHERE d.guid = $1 OR d.original_guid = $1 OR d.id = (SELECT device_id FROM voucher WHERE guid = $1 LIMIT 1)
          LIMIT 1`
      : `SELECT d.id, d.guid,
                (SELECT holder_tenant_id FROM voucher WHERE device_id = d.id AND status = 'active' LIMIT 1) AS holder
           FROM device d WHERE d.id = $1`,
    [byGuid ? target.guid.toLowerCase() : target.deviceId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { deviceId: row.id, sztpDeviceId: null, guid: row.guid, holderTenantId: row.holder };
}
