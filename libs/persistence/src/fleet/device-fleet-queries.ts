import { type EntityManager } from 'typeorm';
import { type DeviceLifecycle } from '../ledger/device.entity';

/** What `GET /v1/devices` filters by; every field is optional. */
export interface DeviceListFilter {
  readonly lifecycle?: DeviceLifecycle;
  readonly protocol?: 'fdo' | 'sztp';
  /** A device group of the tenant: members by GUID (current or original) or serial number. */
  readonly groupId?: string;
  /** The outcome of the device's last onboarding step: succeeded, failed or none yet. */
  readonly result?: 'succeeded' | 'failed' | 'none';
  /** FDO error code of the last failure. */
  readonly errorCode?: number;
  readonly updatedSince?: Date;
  /** Serial number substring, or a whole GUID (any the device had). */
  readonly search?: string;
  /** Keyset position: the last row of the previous page (created_at text, id). */
  readonly after?: { createdAt: string; id: string };
  readonly limit: number;
}

export interface DeviceListRow {
  protocol: 'fdo' | 'sztp';
  id: string;
  guid: string | null;
  original_guid: string | null;
  serial_number: string | null;
  device_info: string | null;
  lifecycle: string | null;
  bootstrap_state: string | null;
  created_at: Date;
  updated_at: Date;
  cursor_ts: string;
  last_result: 'succeeded' | 'failed' | null;
  last_event_type: string | null;
  last_message_type: number | null;
  last_error_code: number | null;
  last_reason: string | null;
  last_event_at: Date | null;
  last_repeats: number | null;
}

const CURSOR_TS = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const LAST_EVENT_COLUMNS = `e.result AS ev_result, e.event_type AS last_event_type, e.message_type AS last_message_type,
       e.error_code AS last_error_code, e.reason AS last_reason, e.last_occurred_at AS last_event_at,
       e.repeats AS last_repeats`;

/**
 * One row per device the tenant holds a voucher for (any status, so devices it handed on stay
 * listed) or manufactured, FDO and SZTP alike, with the outcome of its last onboarding step in the
 * tenant's view (its newest device event; an onboarded device with none counts as succeeded).
 */
const DEVICES_SQL = `
  SELECT 'fdo'::text AS protocol, d.id, d.guid, d.original_guid, d.serial_number, d.device_info, d.lifecycle,
         NULL::text AS bootstrap_state, d.created_at, greatest(d.updated_at, e.last_occurred_at) AS updated_at,
         ${CURSOR_TS('d.created_at')} AS cursor_ts,
         coalesce(e.result, CASE WHEN d.lifecycle = 'onboarded' THEN 'succeeded' END) AS last_result,
         ${LAST_EVENT_COLUMNS}
    FROM device d
    LEFT JOIN LATERAL (SELECT * FROM device_event ev WHERE ev.device_id = d.id AND ev.tenant_id = $1
                        ORDER BY ev.id DESC LIMIT 1) e ON true
   WHERE (d.manufacturer_tenant_id = $1
          OR EXISTS (SELECT 1 FROM voucher v WHERE v.device_id = d.id AND v.holder_tenant_id = $1))
  UNION ALL
  SELECT 'sztp'::text, s.id, NULL, NULL, s.serial_number, NULL, NULL, s.bootstrap_state, s.created_at,
         greatest(s.updated_at, e.last_occurred_at), ${CURSOR_TS('s.created_at')},
         coalesce(e.result, CASE s.bootstrap_state WHEN 'complete' THEN 'succeeded' WHEN 'failed' THEN 'failed' END),
         ${LAST_EVENT_COLUMNS}
    FROM sztp_device s
    LEFT JOIN LATERAL (SELECT * FROM device_event ev WHERE ev.sztp_device_id = s.id AND ev.tenant_id = $1
                        ORDER BY ev.id DESC LIMIT 1) e ON true
   WHERE EXISTS (SELECT 1 FROM sztp_voucher v WHERE v.device_id = s.id AND v.holder_tenant_id = $1)
      OR EXISTS (SELECT 1 FROM sztp_device_type t WHERE t.id = s.device_type_id AND t.tenant_id = $1)`;

export interface DeviceEventRow {
  source: 'event' | 'audit' | 'to0' | 'sztp';
  source_id: string;
  occurred_at: Date;
  cursor_ts: string;
  protocol: 'fdo' | 'sztp';
  type: string;
  result: 'succeeded' | 'failed' | null;
  message_type: number | null;
  error_code: number | null;
  reason: string | null;
  guid: string | null;
  repeats: number;
  last_occurred_at: Date;
  data: Record<string, unknown>;
}

/** The device (FDO or SZTP) a tenant may see, by device id, SZTP device id or any of its GUIDs. */
export interface VisibleDevice {
  protocol: 'fdo' | 'sztp';
  id: string;
  guids: string[];
}

/** Read side of the fleet view: the device list and each device's history. */
export class DeviceFleetQueries {
  async list(manager: EntityManager, tenantId: string, filter: DeviceListFilter): Promise<DeviceListRow[]> {
    const params: unknown[] = [tenantId];
    const where: string[] = [];
    const add = (sql: (n: number) => string, value: unknown) => {
      params.push(value);
      where.push(sql(params.length));
    };
    if (filter.protocol) add((n) => `x.protocol = $${n}`, filter.protocol);
    if (filter.lifecycle) add((n) => `x.lifecycle = $${n}`, filter.lifecycle);
    if (filter.result === 'none') where.push('x.last_result IS NULL');
    else if (filter.result) add((n) => `x.last_result = $${n}`, filter.result);
    if (filter.errorCode !== undefined)
      add((n) => `x.last_result = 'failed' AND x.last_error_code = $${n}`, filter.errorCode);
    if (filter.updatedSince) add((n) => `x.updated_at >= $${n}`, filter.updatedSince);
    if (filter.groupId)
      add(
        (n) => `EXISTS (SELECT 1 FROM device_group g WHERE g.id = $${n} AND g.owner_tenant_id = $1
                   AND ('guid:' || x.guid = ANY (g.members) OR 'guid:' || x.original_guid = ANY (g.members)
                        OR 'serial:' || x.serial_number = ANY (g.members)))`,
        filter.groupId,
      );
    if (filter.search) {
      const term = filter.search.trim();
      if (/^[0-9a-fA-F]{32}$/.test(term))
        add(
          (n) => `(x.guid = $${n} OR x.original_guid = $${n}
                   OR x.id IN (SELECT device_id FROM voucher WHERE guid = $${n}))`,
          term.toLowerCase(),
        );
      else add((n) => `x.serial_number ILIKE $${n} ESCAPE '\\'`, `%${term.replace(/[\\%_]/g, '\\$&')}%`);
    }
    if (filter.after) {
      params.push(filter.after.createdAt, filter.after.id);
      where.push(`(x.created_at, x.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(filter.limit + 1);
    return manager.query(
      `SELECT x.* FROM (${DEVICES_SQL}) x
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY x.created_at DESC, x.id DESC LIMIT $${params.length}`,
      params,
    );
  }

  /** The device by reference, if the tenant may see it (same rule as the list). */
  async find(
    manager: EntityManager,
    tenantId: string,
    reference: string,
  ): Promise<DeviceListRow | undefined> {
    const ref = reference.toLowerCase();
    const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(ref);
    const isGuid = /^[0-9a-f]{32}$/.test(ref);
    if (!isUuid && !isGuid) return undefined;
    const rows: DeviceListRow[] = await manager.query(
      `SELECT x.* FROM (${DEVICES_SQL}) x
        WHERE ${
          isUuid
            ? 'x.id = $2::uuid'
            : `(x.guid = $2 OR x.original_guid = $2 OR x.id IN (SELECT device_id FROM voucher WHERE guid = $2))`
        }
        LIMIT 1`,
      [tenantId, ref],
    );
    return rows[0];
  }

  /**
   * A device's history in the tenant's view, oldest first: its device events (failures and
   * outcomes), the tenant's audit events about any GUID it had (DI, import, transfers, TO2,
   * certificates), the automatic TO0 state per rendezvous URL, and SZTP progress reports.
   */
  async events(
    manager: EntityManager,
    tenantId: string,
    device: { protocol: 'fdo' | 'sztp'; id: string },
    page: { after?: { occurredAt: string; source: string; sourceId: string }; limit: number },
  ): Promise<DeviceEventRow[]> {
    const sources =
      device.protocol === 'fdo'
        ? `
      SELECT 'event' AS source, e.id::text AS source_id, e.occurred_at, e.protocol, e.event_type AS type, e.result,
             e.message_type, e.error_code, e.reason, e.guid, e.repeats, e.last_occurred_at, e.data
        FROM device_event e WHERE e.device_id = $2 AND e.tenant_id = $1
      UNION ALL
      SELECT 'audit', a.seq::text, a.occurred_at, 'fdo', a.event_type, NULL, NULL, NULL, NULL,
             substr(a.subject, 8), 1, a.occurred_at, a.data
        FROM audit_event a
       WHERE a.tenant_id = $1 AND a.subject = ANY (
             SELECT 'device:' || g FROM (SELECT guid AS g FROM voucher WHERE device_id = $2
                                         UNION SELECT guid FROM device WHERE id = $2
                                         UNION SELECT original_guid FROM device WHERE id = $2) guids)
      UNION ALL
      SELECT 'to0', s.id::text, coalesce(s.last_attempt_at, s.updated_at), 'fdo', 'to0.' || s.status,
             CASE s.status WHEN 'registered' THEN 'succeeded' WHEN 'failed' THEN 'failed'
                           WHEN 'unsupported' THEN 'failed' END,
             22, s.last_error_code, s.last_error, s.guid, greatest(s.attempts, 1),
             coalesce(s.last_attempt_at, s.updated_at),
             jsonb_build_object('rendezvousUrl', s.rv_url, 'status', s.status, 'registeredUntil', s.registered_until,
                                'nextAttemptAt', s.next_attempt_at, 'attempts', s.attempts)
        FROM to0_state s JOIN voucher v ON v.id = s.voucher_id
       WHERE s.device_id = $2 AND v.holder_tenant_id = $1`
        : `
      SELECT 'event' AS source, e.id::text AS source_id, e.occurred_at, e.protocol, e.event_type AS type, e.result,
             e.message_type, e.error_code, e.reason, e.guid, e.repeats, e.last_occurred_at, e.data
        FROM device_event e WHERE e.sztp_device_id = $2 AND e.tenant_id = $1
      UNION ALL
      SELECT 'sztp', p.id::text, p.received_at, 'sztp', 'sztp.progress.' || p.progress_type,
             CASE WHEN p.progress_type = 'bootstrap-complete' THEN 'succeeded'
                  WHEN p.progress_type LIKE '%-error' THEN 'failed' END,
             NULL, NULL, p.message, NULL, 1, p.received_at,
             jsonb_build_object('server', p.server, 'progressType', p.progress_type)
        FROM sztp_progress_event p WHERE p.device_id = $2 AND (p.holder_tenant_id = $1 OR p.holder_tenant_id IS NULL)
      UNION ALL
      SELECT 'audit', a.seq::text, a.occurred_at, 'sztp', a.event_type, NULL, NULL, NULL, NULL, NULL, 1,
             a.occurred_at, a.data
        FROM audit_event a WHERE a.tenant_id = $1 AND a.subject = 'sztp-device:' || $2::text`;
    const params: unknown[] = [tenantId, device.id];
    let after = '';
    if (page.after) {
      params.push(page.after.occurredAt, page.after.source, page.after.sourceId);
      after = `WHERE (x.occurred_at, x.source, lpad(x.source_id, 40, '0'))
                   > ($3::timestamptz, $4::text, lpad($5::text, 40, '0'))`;
    }
    params.push(page.limit + 1);
    return manager.query(
      `SELECT x.*, ${CURSOR_TS('x.occurred_at')} AS cursor_ts FROM (${sources}) x ${after}
        ORDER BY x.occurred_at, x.source, lpad(x.source_id, 40, '0') LIMIT $${params.length}`,
      params,
    );
  }
}
