import { Injectable } from '@nestjs/common';
import { notFound } from '@ztp/auth';
import { DEVICE_LIFECYCLES, VOUCHER_STATUSES } from '@ztp/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { decodeCursor, type Page, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, pageOf } from './http/cursor';
import { VOUCHER_VIEW_SQL, voucherView, type VoucherView, type VoucherViewRow } from './voucher-view';
import { isUuid } from '@ztp/platform';

export const listVouchersSchema = z.strictObject({
  guid: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/)
    .optional()
    .describe('Exact GUID (32 hex digits)'),
  serialNumber: z.string().min(1).max(200).optional().describe('Exact device serial number'),
  deviceInfo: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Substring of the DeviceInfo (case-insensitive)'),
  status: z
    .enum([...VOUCHER_STATUSES, 'any'])
    .default('active')
    .describe('Default active; any lists every status'),
  lifecycle: z.enum(DEVICE_LIFECYCLES).optional(),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).default(PAGE_LIMIT_DEFAULT),
});

export type ListVouchersQuery = z.output<typeof listVouchersSchema>;

const GUID = /^[0-9a-fA-F]{32}$/;

/** What a tenant holds: vouchers whose holder it is, newest first; never anyone else's. */
@Injectable()
export class VoucherQueryService {
  constructor(private readonly dataSource: DataSource) {}

  async list(tenantId: string, query: ListVouchersQuery): Promise<Page<VoucherView>> {
    const params: unknown[] = [tenantId];
    const where = ['v.holder_tenant_id = $1'];
    const add = (sql: (n: number) => string, value: unknown) => {
      params.push(value);
      where.push(sql(params.length));
    };
    if (query.status !== 'any') add((n) => `v.status = $${n}`, query.status);
    if (query.guid) add((n) => `v.guid = $${n}`, query.guid.toLowerCase());
    if (query.serialNumber) add((n) => `d.serial_number = $${n}`, query.serialNumber);
    if (query.deviceInfo)
      add((n) => `d.device_info ILIKE $${n} ESCAPE '\\'`, `%${query.deviceInfo.replace(/[\\%_]/g, '\\$&')}%`);
    if (query.lifecycle) add((n) => `d.lifecycle = $${n}`, query.lifecycle);
    const cursor = decodeCursor(query.cursor);
    if (cursor) {
      params.push(cursor.createdAt, cursor.id);
      where.push(`(v.created_at, v.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(query.limit + 1);
    const rows: VoucherViewRow[] = await this.dataSource.query(
      `${VOUCHER_VIEW_SQL} WHERE ${where.join(' AND ')} ORDER BY v.created_at DESC, v.id DESC LIMIT $${params.length}`,
      params,
    );
    return pageOf(rows, query.limit, (row) => ({ createdAt: row.cursor_ts, id: row.id }), voucherView);
  }

  /**
   * One voucher held by the tenant, by id, or by GUID (its active voucher for that GUID, else the
   * newest it holds). 404 otherwise, whoever else may hold it.
   */
  async find(
    tenantId: string,
    reference: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<VoucherView & { cbor: Buffer }> {
    let rows: (VoucherViewRow & { cbor: Buffer })[] = [];
    const select = VOUCHER_VIEW_SQL.replace('SELECT v.id,', 'SELECT v.cbor, v.id,');
    if (isUuid(reference))
      rows = await manager.query(`${select} WHERE v.id = $1 AND v.holder_tenant_id = $2`, [
        reference,
        tenantId,
      ]);
    else if (GUID.test(reference))
      rows = await manager.query(
        `${select} WHERE v.guid = $1 AND v.holder_tenant_id = $2
          ORDER BY (v.status = 'active') DESC, v.created_at DESC, v.id DESC LIMIT 1`,
        [reference.toLowerCase(), tenantId],
      );
    const row = rows[0];
    if (!row) throw notFound('voucher', reference);
    return { ...voucherView(row), cbor: row.cbor };
  }
}
