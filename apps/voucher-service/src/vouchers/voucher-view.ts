import { type DeviceLifecycle, type VoucherStatus } from '@ztp/persistence';

/** A voucher as listed: what the ledger knows, without the bytes. */
export interface VoucherView {
  id: string;
  guid: string;
  status: VoucherStatus;
  numEntries: number;
  /** SHA-256 (hex) of the current owner's SubjectPublicKeyInfo. */
  ownerKeySha256: string;
  /** The tenant's owner key that is the current owner, if it is one of its keys. */
  ownerKeyId: string | null;
  replacesVoucherId: string | null;
  device: {
    id: string;
    serialNumber: string | null;
    deviceInfo: string;
    lifecycle: DeviceLifecycle;
    /** The device's GUID now (differs from `guid` once it onboarded with new credentials). */
    currentGuid: string;
  };
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
}

/** The row shape of VOUCHER_VIEW_SQL. */
export interface VoucherViewRow {
  id: string;
  guid: string;
  status: VoucherStatus;
  num_entries: number;
  owner_key_sha256: string;
  owner_key_id: string | null;
  replaces_voucher_id: string | null;
  device_id: string;
  serial_number: string | null;
  device_info: string;
  lifecycle: DeviceLifecycle;
  device_guid: string;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  cursor_ts: string;
}

/** SELECT list and joins for VoucherViewRow (alias v = voucher, d = device, k = owner_key). */
export const VOUCHER_VIEW_SQL = `
  SELECT v.id, v.guid, v.status, v.num_entries, v.owner_key_sha256, k.id AS owner_key_id,
         v.replaces_voucher_id, v.device_id, d.serial_number, d.device_info, d.lifecycle,
         d.guid AS device_guid, v.created_at, v.updated_at, v.deleted_at,
         to_char(v.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts
    FROM voucher v
    JOIN device d ON d.id = v.device_id
    LEFT JOIN owner_key k ON k.public_key_sha256 = v.owner_key_sha256 AND k.tenant_id = v.holder_tenant_id`;

export function voucherView(row: VoucherViewRow): VoucherView {
  return {
    id: row.id,
    guid: row.guid,
    status: row.status,
    numEntries: row.num_entries,
    ownerKeySha256: row.owner_key_sha256,
    ownerKeyId: row.owner_key_id,
    replacesVoucherId: row.replaces_voucher_id,
    device: {
      id: row.device_id,
      serialNumber: row.serial_number,
      deviceInfo: row.device_info,
      lifecycle: row.lifecycle,
      currentGuid: row.device_guid,
    },
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    deletedAt: row.deleted_at ? new Date(row.deleted_at).toISOString() : null,
  };
}
