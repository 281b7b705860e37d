import { Injectable } from '@nestjs/common';
import { notFound } from '@ztp/auth';
import { DataSource } from 'typeorm';
import { VOUCHER_VIEW_SQL, voucherView, type VoucherView, type VoucherViewRow } from './voucher-view';

export interface DeviceStatus {
  /** The tenant's latest voucher for the device (holder: this tenant). */
  voucher: VoucherView;
  /** When that voucher is a replacement (made by TO2): the voucher and GUID it replaced. */
  replaces: { voucherId: string; guid: string } | null;
  /** When that voucher was replaced after onboarding: the replacement (GUID the device now has). */
  replacement: { voucherId: string; guid: string; status: string; heldByYou: boolean } | null;
  /** Hand-overs of the device's vouchers this tenant took part in, oldest first. */
  transfers: {
    id: string;
    direction: 'incoming' | 'outgoing';
    status: string;
    guid: string;
    counterpartyTenantId: string | null;
    createdAt: string;
    decidedAt: string | null;
  }[];
  /** Automatic TO0 per rendezvous address of this voucher (empty until the owner's worker acted). */
  to0: {
    rvUrl: string;
    status: string;
    registeredUntil: string | null;
    lastSuccessAt: string | null;
    lastError: string | null;
    nextAttemptAt: string | null;
  }[];
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

/**
 * Everything about one device, as far as the asking tenant is concerned: found by any of its
 * GUIDs; visible only to a tenant that holds (or last held) one of its vouchers, and not to a
 * previous owner once another tenant holds a later voucher of it (a resale after onboarding).
 */
@Injectable()
export class DeviceStatusService {
  constructor(private readonly dataSource: DataSource) {}

  async status(tenantId: string, guid: string): Promise<DeviceStatus> {
    const key = guid.toLowerCase();
    const rows: VoucherViewRow[] = /^[0-9a-f]{32}$/.test(key)
      ? await this.dataSource.query(
          `${VOUCHER_VIEW_SQL}
            WHERE v.holder_tenant_id = $1
              AND v.device_id IN (SELECT device_id FROM voucher WHERE guid = $2
                                  UNION SELECT id FROM device WHERE guid = $2 OR original_guid = $2)
              -- Not once the device passed on: a later voucher of it (a replacement the buyer
              -- holds) held by another tenant hides it from a previous owner.
              AND NOT EXISTS (SELECT 1 FROM voucher n
                               WHERE n.device_id = v.device_id AND n.holder_tenant_id <> $1
                                 AND n.status <> 'deleted' AND n.created_at > v.created_at)
            ORDER BY (v.status = 'active') DESC, v.created_at DESC, v.id DESC LIMIT 1`,
          [tenantId, key],
        )
      : [];
    const row = rows[0];
    if (!row) throw notFound('device', guid);
    const voucher = voucherView(row);
    const [replacement] = await this.dataSource.query(
      `SELECT id, guid, status, holder_tenant_id FROM voucher WHERE replaces_voucher_id = $1 ORDER BY created_at DESC LIMIT 1`,
      [voucher.id],
    );
    const [replaced] = voucher.replacesVoucherId
      ? await this.dataSource.query(`SELECT id, guid FROM voucher WHERE id = $1`, [voucher.replacesVoucherId])
      : [];
    const transfers: Record<string, string | Date | null>[] = await this.dataSource.query(
      `SELECT t.id, t.status, t.guid, t.from_tenant_id, t.to_tenant_id, t.created_at, t.decided_at
         FROM transfer t JOIN voucher v ON v.id = t.voucher_id
        WHERE v.device_id = $1 AND (t.from_tenant_id = $2 OR t.to_tenant_id = $2)
        ORDER BY t.created_at, t.id`,
      [voucher.device.id, tenantId],
    );
    const to0: Record<string, string | Date | null>[] = await this.dataSource.query(
      `SELECT rv_url, status, registered_until, last_success_at, last_error, next_attempt_at
         FROM to0_state WHERE voucher_id = $1 ORDER BY directive_index`,
      [voucher.id],
    );
    return {
      voucher,
      replaces: replaced ? { voucherId: replaced.id, guid: replaced.guid } : null,
      replacement: replacement
        ? {
            voucherId: replacement.id,
            guid: replacement.guid,
            status: replacement.status,
            heldByYou: replacement.holder_tenant_id === tenantId,
          }
        : null,
      transfers: transfers.map((t) => ({
        id: t['id'] as string,
        direction: t['from_tenant_id'] === tenantId ? 'outgoing' : 'incoming',
        status: t['status'] as string,
        guid: t['guid'] as string,
        counterpartyTenantId: (t['from_tenant_id'] === tenantId ? t['to_tenant_id'] : t['from_tenant_id']) as
          string | null,
        createdAt: iso(t['created_at']!)!,
        decidedAt: iso(t['decided_at'] ?? null),
      })),
      to0: to0.map((state) => ({
        rvUrl: state['rv_url'] as string,
        status: state['status'] as string,
        registeredUntil: iso(state['registered_until'] ?? null),
        lastSuccessAt: iso(state['last_success_at'] ?? null),
        lastError: (state['last_error'] as string | null) ?? null,
        nextAttemptAt: iso(state['next_attempt_at'] ?? null),
      })),
    };
  }
}
