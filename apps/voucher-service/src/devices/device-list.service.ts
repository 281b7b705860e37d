import { Injectable } from '@nestjs/common';
import { notFound } from '@ztp/auth';
import {
  DEVICE_LIFECYCLES,
  DeviceFleetQueries,
  type DeviceEventRow,
  type DeviceListRow,
} from '@ztp/persistence';
import { ProblemException } from '@ztp/platform';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import {
  decodeCursor,
  encodeCursor,
  type Page,
  PAGE_LIMIT_DEFAULT,
  PAGE_LIMIT_MAX,
} from '../vouchers/http/cursor';

export const listDevicesSchema = z.strictObject({
  lifecycle: z.enum(DEVICE_LIFECYCLES).optional().describe('FDO device lifecycle state'),
  protocol: z
    .enum(['fdo', 'sztp', 'FDO', 'SZTP'])
    .transform((value) => value.toLowerCase() as 'fdo' | 'sztp')
    .optional(),
  group: z.uuid().optional().describe('Device group id: its members'),
  result: z
    .enum(['succeeded', 'failed', 'none'])
    .optional()
    .describe('Outcome of the last onboarding step (none: no outcome yet)'),
  errorCode: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .optional()
    .describe('FDO error code of the last failure'),
  updatedSince: z.iso.datetime({ offset: true }).optional().describe('ISO 8601 time'),
  q: z.string().min(1).max(200).optional().describe('Serial number substring, or a whole GUID (any it had)'),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).default(PAGE_LIMIT_DEFAULT),
});
export type ListDevicesQuery = z.output<typeof listDevicesSchema>;

export const deviceEventsSchema = z.strictObject({
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

/** One device in the fleet list. */
export interface DeviceView {
  /** Stable: an FDO device keeps it across the GUIDs TO2 gives it. */
  id: string;
  protocol: 'fdo' | 'sztp';
  guid: string | null;
  originalGuid: string | null;
  serialNumber: string | null;
  deviceInfo: string | null;
  /** FDO lifecycle; null for SZTP devices (see bootstrapState). */
  lifecycle: string | null;
  bootstrapState: string | null;
  createdAt: string;
  updatedAt: string;
  lastResult: 'succeeded' | 'failed' | null;
  /** The last device event, when there is one: what failed (or finished), with which code and why. */
  lastEvent: {
    type: string;
    messageType: number | null;
    errorCode: number | null;
    reason: string | null;
    at: string;
    repeats: number;
  } | null;
}

export interface DeviceEventView {
  /** `<source>:<id>`: event (device event), audit (audit seq), to0 (TO0 state), sztp (progress report). */
  id: string;
  occurredAt: string;
  /** When the same failure was last seen (repeats > 1). */
  lastOccurredAt: string;
  repeats: number;
  protocol: 'fdo' | 'sztp';
  type: string;
  result: 'succeeded' | 'failed' | null;
  messageType: number | null;
  errorCode: number | null;
  reason: string | null;
  guid: string | null;
  data: Record<string, unknown>;
}

const iso = (value: Date | string) => new Date(value).toISOString();

function deviceView(row: DeviceListRow): DeviceView {
  return {
    id: row.id,
    protocol: row.protocol,
    guid: row.guid,
    originalGuid: row.original_guid,
    serialNumber: row.serial_number,
    deviceInfo: row.device_info,
    lifecycle: row.lifecycle,
    bootstrapState: row.bootstrap_state,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    lastResult: row.last_result,
    lastEvent: row.last_event_type
      ? {
          type: row.last_event_type,
          messageType: row.last_message_type,
          errorCode: row.last_error_code,
          reason: row.last_reason,
          at: iso(row.last_event_at!),
          repeats: row.last_repeats ?? 1,
        }
      : null,
  };
}

function eventView(row: DeviceEventRow): DeviceEventView {
  return {
    id: `${row.source}:${row.source_id}`,
    occurredAt: iso(row.occurred_at),
    lastOccurredAt: iso(row.last_occurred_at),
    repeats: row.repeats,
    protocol: row.protocol,
    type: row.type,
    result: row.result,
    messageType: row.message_type,
    errorCode: row.error_code,
    reason: row.reason,
    guid: row.guid,
    data: row.data,
  };
}

const EVENT_SOURCES = ['event', 'audit', 'to0', 'sztp'];

function decodeEventCursor(value: string | undefined) {
  if (!value) return undefined;
  try {
    const [occurredAt, source, sourceId] = JSON.parse(
      Buffer.from(value, 'base64url').toString('utf8'),
    ) as unknown[];
    if (
      typeof occurredAt === 'string' &&
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(occurredAt) &&
      typeof source === 'string' &&
      EVENT_SOURCES.includes(source) &&
      typeof sourceId === 'string' &&
      /^[0-9a-f-]{1,40}$/.test(sourceId)
    )
      return { occurredAt, source, sourceId };
  } catch {
    // reported below
  }
  throw new ProblemException(400, {
    type: 'https://ztp.dev/problems/invalid-cursor',
    title: 'Invalid cursor',
    detail: 'use the nextCursor of a previous page',
  });
}

/** The fleet view of a tenant: its devices with their last outcome, and each device's history. */
@Injectable()
export class DeviceListService {
  private readonly queries = new DeviceFleetQueries();

  constructor(private readonly dataSource: DataSource) {}

  async list(tenantId: string, query: ListDevicesQuery): Promise<Page<DeviceView>> {
    const rows = await this.queries.list(this.dataSource.manager, tenantId, {
      lifecycle: query.lifecycle,
      protocol: query.protocol,
      groupId: query.group,
      result: query.result,
      errorCode: query.errorCode,
      updatedSince: query.updatedSince ? new Date(query.updatedSince) : undefined,
      search: query.q,
      after: decodeCursor(query.cursor),
      limit: query.limit,
    });
    const items = rows.slice(0, query.limit);
    return {
      items: items.map(deviceView),
      nextCursor:
        rows.length > query.limit && items.length > 0
          ? encodeCursor({ createdAt: items.at(-1)!.cursor_ts, id: items.at(-1)!.id })
          : null,
    };
  }

  async get(tenantId: string, reference: string): Promise<DeviceView> {
    const row = await this.queries.find(this.dataSource.manager, tenantId, reference);
    if (!row) throw notFound('device', reference);
    return deviceView(row);
  }

  async events(
    tenantId: string,
    reference: string,
    page: z.output<typeof deviceEventsSchema>,
  ): Promise<Page<DeviceEventView>> {
    const device = await this.queries.find(this.dataSource.manager, tenantId, reference);
    if (!device) throw notFound('device', reference);
    const rows = await this.queries.events(this.dataSource.manager, tenantId, device, {
      after: decodeEventCursor(page.cursor),
      limit: page.limit,
    });
    const items = rows.slice(0, page.limit);
    const last = items.at(-1);
    return {
      items: items.map(eventView),
      nextCursor:
        rows.length > page.limit && last
          ? Buffer.from(JSON.stringify([last.cursor_ts, last.source, last.source_id])).toString('base64url')
          : null,
    };
  }
}
