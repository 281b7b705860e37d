import { type KeyObject, X509Certificate } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type TenantSettings, tenantSettings, ExpiringCache } from '@ztp/persistence';
import { type KeySpec } from '@ztp/pki';
import { type EtmKeySizes, type OwnershipVoucher, parseVoucher } from '@ztp/protocol';
import { DataSource } from 'typeorm';
import { hotQuery } from '../../support/hot-sql';

/** What TO2 needs about the voucher a device's GUID leads to, and about the owner holding it. */
export interface OwnerVoucher {
  voucherId: string;
  deviceId: string;
  ownerTenantId: string;
  ownerTenantName: string;
  settings: TenantSettings;
  /** Custody id and spec of the owner key that is the voucher's current owner. */
  ownerKeyId: string;
  ownerKeySpec: KeySpec;
  deviceSerial: string | null;
  /** The device's lifecycle state (TO2 runs only for owned or onboarded devices). */
  lifecycle: string;
  /** The AES-CBC/CTR key sizes learned for the device (EtmKeySizesLedger); null: none yet. */
  etmKeySizes: EtmKeySizes | null;
  voucher: OwnershipVoucher;
  /**
   * The device's configuration bundle as it stands now, when one is rendered for this owner and
   * may be delivered (TO2.DeviceServiceInfoReady claims this revision if it is still current).
   */
  bundle: { revision: number; steps: Buffer } | null;
}

interface OwnerVoucherRow {
  voucher_id: string;
  device_id: string;
  owner_tenant_id: string;
  owner_tenant_name: string;
  settings: Record<string, unknown>;
  custody_key_id: string;
  spec: KeySpec;
  serial_number: string | null;
  lifecycle: string;
  etm_key_sizes: EtmKeySizes | null;
  cbor: Buffer;
  bundle_revision: number | null;
  bundle_steps: Buffer | null;
}

/**
 * Finds the active voucher for a GUID held by an owner tenant whose own (not retired) owner key is
 * the voucher's current owner key, with the device's deliverable bundle, in one query. Parsed
 * vouchers are cached by id: a voucher row's bytes never change.
 */
@Injectable()
export class OwnerVouchers {
  private readonly parsed = new ExpiringCache<string, OwnershipVoucher>(4096, 10 * 60_000);
  private readonly deviceKeys = new ExpiringCache<string, KeyObject | null>(4096, 10 * 60_000);

  constructor(private readonly dataSource: DataSource) {}

  async findForGuid(guidHex: string): Promise<OwnerVoucher | null> {
    const rows = await hotQuery<OwnerVoucherRow>(
      this.dataSource,
      `SELECT v.id AS voucher_id, v.device_id, v.holder_tenant_id AS owner_tenant_id,
              t.name AS owner_tenant_name, t.settings, k.custody_key_id, k.spec, d.serial_number, d.lifecycle, d.etm_key_sizes,
              v.cbor,
              b.revision AS bundle_revision, b.steps AS bundle_steps
         FROM voucher v
         JOIN tenant t ON t.id = v.holder_tenant_id AND t.kind = 'owner'
         JOIN owner_key k ON k.public_key_sha256 = v.owner_key_sha256 AND k.tenant_id = v.holder_tenant_id
                          AND k.retired_at IS NULL
         JOIN device d ON d.id = v.device_id
         LEFT JOIN config_bundle b ON b.device_id = v.device_id AND b.owner_tenant_id = v.holder_tenant_id
                                  AND NOT b.stale
                                  AND NOT (b.delivery_status = 'failed' AND b.delivery_started_at IS NULL)
        WHERE v.guid = $1 AND v.status = 'active'`,
      [guidHex],
    );
    const row = rows[0];
    if (!row) return null;
    let voucher = this.parsed.get(row.voucher_id);
    if (!voucher) {
      voucher = parseVoucher(new Uint8Array(row.cbor));
      this.parsed.set(row.voucher_id, voucher);
    }
    return {
      voucherId: row.voucher_id,
      deviceId: row.device_id,
      ownerTenantId: row.owner_tenant_id,
      ownerTenantName: row.owner_tenant_name,
      settings: tenantSettings(row.settings),
      ownerKeyId: row.custody_key_id,
      ownerKeySpec: row.spec,
      deviceSerial: row.serial_number,
      lifecycle: row.lifecycle,
      etmKeySizes: row.etm_key_sizes,
      voucher,
      bundle:
        row.bundle_revision !== null && row.bundle_steps !== null
          ? { revision: row.bundle_revision, steps: row.bundle_steps }
          : null,
    };
  }

  /**
   * The device attestation key of a voucher (the leaf of its device chain; null for EPID), cached
   * per voucher. Only the leaf is parsed: the rest of the chain matters to trust checks alone.
   */
  deviceKey(voucherId: string, voucher: OwnershipVoucher): KeyObject | null {
    const cached = this.deviceKeys.get(voucherId);
    if (cached !== undefined) return cached;
    const leaf = voucher.deviceCertChain?.[0];
    const key = leaf ? new X509Certificate(leaf).publicKey : null;
    this.deviceKeys.set(voucherId, key);
    return key;
  }

  /**
   * Why no owner holds an active voucher for the GUID, when the ledger knows: its device was
   * decommissioned. Read only on that refusal path, so a device gets a clear answer.
   */
  async lifecycleOfGuid(guidHex: string): Promise<string | null> {
    const rows: { lifecycle: string }[] = await this.dataSource.query(
      `SELECT d.lifecycle FROM device d
        WHERE d.id IN (SELECT id FROM device WHERE guid = $1 UNION SELECT device_id FROM voucher WHERE guid = $1)
        LIMIT 1`,
      [guidHex],
    );
    return rows[0]?.lifecycle ?? null;
  }

  /** A voucher by id (any status), parsed; used by the later messages of a session. */
  async byId(voucherId: string): Promise<OwnershipVoucher> {
    return this.parsed.getOrLoad(voucherId, async () => {
      const rows = await hotQuery<{ cbor: Buffer }>(
        this.dataSource,
        `SELECT cbor FROM voucher WHERE id = $1`,
        [voucherId],
      );
      if (!rows[0]) throw new Error(`voucher ${voucherId} vanished during TO2`);
      return parseVoucher(new Uint8Array(rows[0].cbor));
    });
  }
}
