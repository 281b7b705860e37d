import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { afterCommit, OwnerKeyEntity } from '@ztp/persistence';
import { JobQueues, requestTo0Registration, type WebhookEventInput, WebhookEvents } from '@ztp/queue';
import { DataSource, type EntityManager, IsNull } from 'typeorm';
import { LedgerAudit } from '../audit/ledger-audit';
import { isUniqueViolation, ledgerProblem } from './ledger-problems';
import { type UploadedVoucher } from './upload/voucher-upload';
import { type VoucherFacts } from './voucher-facts';
import { VoucherReceivedHooks } from './voucher-received-hooks';
import { VoucherVerifier } from './verify/voucher-verifier';

/** Rows per multi-row INSERT (7 parameters each, well under PostgreSQL's 65535). */
const INSERT_CHUNK = 1000;
/** Problems listed in a refused batch's answer. */
const MAX_REPORTED = 20;
/** Imports up to this size ask for TO0 at once; larger ones are picked up by the worker's TO0 scan. */
const IMMEDIATE_TO0_UP_TO = 100;
/** GUIDs listed in a voucher.received webhook (the audit event lists them all). */
const MAX_WEBHOOK_GUIDS = 1000;

export interface ImportProblem {
  index: number;
  guid?: string;
  code: string;
  detail: string;
}

export interface ImportResult {
  importId: string;
  count: number;
  vouchers: { index: number; id: string; guid: string; deviceId: string }[];
}

interface Checked extends VoucherFacts {
  index: number;
  bytes: Uint8Array;
}

/**
 * Bulk voucher import, all or nothing. Every voucher is parsed and verified (signatures, hashes,
 * key types) and its current owner key must be an active owner key of the importing tenant (else
 * it could neither be used nor passed on). One bad voucher refuses the whole batch, naming its
 * index, and nothing is stored. Then, in one transaction: unknown devices are created (no
 * manufacturer), vouchers inserted with multi-row INSERTs, ONE audit event `voucher.imported`
 * lists every GUID of the batch (instead of one event per voucher), and ONE `voucher.received`
 * webhook event is raised.
 */
@Injectable()
export class VoucherImportService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: LedgerAudit,
    private readonly webhooks: WebhookEvents,
    private readonly receivedHooks: VoucherReceivedHooks,
    private readonly verifier: VoucherVerifier,
    private readonly queues: JobQueues,
  ) {}

  async import(
    tenantId: string,
    uploads: UploadedVoucher[],
    expectedCount: number | undefined,
    actor: string,
  ): Promise<ImportResult> {
    if (expectedCount !== undefined && expectedCount !== uploads.length)
      throw ledgerProblem(
        422,
        'voucher-count-mismatch',
        'Voucher count mismatch',
        `the request announced ${expectedCount} vouchers but contains ${uploads.length}; nothing was stored`,
        { expected: expectedCount, found: uploads.length },
      );
    const checked = await this.check(tenantId, uploads);
    const importId = randomUUID();
    try {
      return await this.dataSource.transaction(async (manager) => {
        await this.refuseHeldGuids(manager, checked);
        const deviceIds = await this.devicesFor(manager, tenantId, checked);
        const voucherIds = await this.insertVouchers(manager, tenantId, checked, deviceIds);
        const guids = checked.map((voucher) => voucher.guid);
        await this.audit.record(manager, {
          tenantId,
          eventType: 'voucher.imported',
          subject: `import:${importId}`,
          actor,
          data: { importId, count: checked.length, guids },
        });
        const event: WebhookEventInput = {
          tenantId,
          type: 'voucher.received',
          subject: `import:${importId}`,
          data: {
            source: 'import',
            importId,
            count: checked.length,
            guids: guids.slice(0, MAX_WEBHOOK_GUIDS),
            guidsTruncated: guids.length > MAX_WEBHOOK_GUIDS,
          },
        };
        await this.webhooks.emit(manager, event);
        if (voucherIds.length <= IMMEDIATE_TO0_UP_TO)
          afterCommit(manager, async () => {
            for (const id of voucherIds) await requestTo0Registration(this.queues, id);
          });
        await this.receivedHooks.run(manager, {
          tenantId,
          source: 'import',
          vouchers: checked.map((voucher, i) => ({
            voucherId: voucherIds[i]!,
            guid: voucher.guid,
            deviceInfo: voucher.deviceInfo,
          })),
        });
        return {
          importId,
          count: checked.length,
          vouchers: checked.map((voucher, i) => ({
            index: voucher.index,
            id: voucherIds[i]!,
            guid: voucher.guid,
            deviceId: deviceIds.get(voucher.guid)!,
          })),
        };
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw ledgerProblem(
          409,
          'voucher-conflict',
          'Voucher imported concurrently',
          'a voucher of this batch was stored by another request meanwhile; nothing was stored, retry to see which',
        );
      throw err;
    }
  }

  /** Parses and verifies every voucher; refuses the batch with the first problems found. */
  private async check(tenantId: string, uploads: UploadedVoucher[]): Promise<Checked[]> {
    const ownKeys = new Set(
      (
        await this.dataSource.getRepository(OwnerKeyEntity).find({
          where: { tenantId, retiredAt: IsNull() },
          select: { publicKeySha256: true },
        })
      ).map((key) => key.publicKeySha256),
    );
    const readable = uploads.filter(
      (upload): upload is UploadedVoucher & { bytes: Uint8Array } => !!upload.bytes,
    );
    const checks = await this.verifier.checkAll(readable.map((upload) => upload.bytes));
    const checkOf = new Map(readable.map((upload, i) => [upload.index, checks[i]!]));
    const problems: ImportProblem[] = [];
    const checked: Checked[] = [];
    const seen = new Map<string, number>();
    for (const upload of uploads) {
      if (problems.length >= MAX_REPORTED) break;
      const check = checkOf.get(upload.index);
      if (!upload.bytes || !check) {
        problems.push({ index: upload.index, code: 'malformed', detail: upload.problem ?? 'unreadable' });
        continue;
      }
      if (!check.ok) {
        problems.push({ index: upload.index, code: check.code, detail: check.detail });
        continue;
      }
      const facts = check.facts;
      const earlier = seen.get(facts.guid);
      if (earlier !== undefined) {
        problems.push({
          index: upload.index,
          guid: facts.guid,
          code: 'duplicate-guid',
          detail: `the same GUID as voucher ${earlier}`,
        });
        continue;
      }
      seen.set(facts.guid, upload.index);
      if (!ownKeys.has(facts.ownerKeySha256)) {
        problems.push({
          index: upload.index,
          guid: facts.guid,
          code: 'not-owner',
          detail:
            "the voucher's current owner key is not an active owner key of this tenant; extend it to one of your owner keys first",
        });
        continue;
      }
      checked.push({ ...facts, index: upload.index, bytes: upload.bytes });
    }
    if (problems.length > 0) throw refused(problems);
    return checked;
  }

  /** One live holder per GUID: a GUID with an active voucher, or one replaced after onboarding, is refused. */
  private async refuseHeldGuids(manager: EntityManager, vouchers: Checked[]): Promise<void> {
    const rows: { guid: string; status: string }[] = await manager.query(
      `SELECT guid, status FROM voucher WHERE guid = ANY($1) AND status IN ('active', 'retired')`,
      [vouchers.map((voucher) => voucher.guid)],
    );
    if (rows.length === 0) return;
    const statusOf = new Map(rows.map((row) => [row.guid, row.status]));
    const problems = vouchers
      .filter((voucher) => statusOf.has(voucher.guid))
      .slice(0, MAX_REPORTED)
      .map((voucher) =>
        statusOf.get(voucher.guid) === 'active'
          ? {
              index: voucher.index,
              guid: voucher.guid,
              code: 'already-held',
              detail: 'a voucher for this GUID is already held in this service',
            }
          : {
              index: voucher.index,
              guid: voucher.guid,
              code: 'retired',
              detail: 'this GUID was replaced when its device onboarded',
            },
      );
    throw refused(problems, 409);
  }

  /** Device ids by GUID: existing devices, and new ones (no manufacturer) for unknown GUIDs. */
  /**
   * The device rows of the imported vouchers, new ones created `owned` when the importer is an owner
   * tenant, else `manufactured` (the device state machine's two starting states).
   */
  private async devicesFor(
    manager: EntityManager,
    tenantId: string,
    vouchers: Checked[],
  ): Promise<Map<string, string>> {
    const existing: { id: string; guid: string }[] = await manager.query(
      `SELECT id, guid FROM device WHERE guid = ANY($1)`,
      [vouchers.map((voucher) => voucher.guid)],
    );
    const ids = new Map(existing.map((row) => [row.guid, row.id]));
    const unknown = vouchers.filter((voucher) => !ids.has(voucher.guid));
    for (let start = 0; start < unknown.length; start += INSERT_CHUNK) {
      const chunk = unknown.slice(start, start + INSERT_CHUNK);
      const params: unknown[] = [tenantId];
      const values = chunk.map((voucher) => {
        params.push(voucher.deviceInfo, voucher.guid);
        const n = params.length;
        return `(NULL::uuid, NULL::text, $${n - 1}::text, $${n}::text, $${n}::text)`;
      });
      const inserted: { id: string; guid: string }[] = await manager.query(
        `INSERT INTO device (manufacturer_tenant_id, serial_number, device_info, guid, original_guid, lifecycle)
         SELECT v.*, (SELECT CASE WHEN kind = 'owner' THEN 'owned' ELSE 'manufactured' END FROM tenant WHERE id = $1)
           FROM (VALUES ${values.join(', ')}) AS v
         RETURNING id, guid`,
        params,
      );
      for (const row of inserted) ids.set(row.guid, row.id);
    }
    return ids;
  }

  private async insertVouchers(
    manager: EntityManager,
    tenantId: string,
    vouchers: Checked[],
    deviceIds: Map<string, string>,
  ): Promise<string[]> {
    const ids: string[] = [];
    for (let start = 0; start < vouchers.length; start += INSERT_CHUNK) {
      const chunk = vouchers.slice(start, start + INSERT_CHUNK);
      const params: unknown[] = [tenantId];
      const values = chunk.map((voucher) => {
        params.push(
          deviceIds.get(voucher.guid),
          voucher.guid,
          Buffer.from(voucher.bytes),
          voucher.numEntries,
          voucher.ownerKeySha256,
        );
        const n = params.length;
        return `($${n - 4}::uuid, $${n - 3}, $${n - 2}, $${n - 1}, $${n}, $1::uuid, 'active')`;
      });
      const inserted: { id: string; guid: string }[] = await manager.query(
        `INSERT INTO voucher (device_id, guid, cbor, num_entries, owner_key_sha256, holder_tenant_id, status)
         VALUES ${values.join(', ')} RETURNING id, guid`,
        params,
      );
      const byGuid = new Map(inserted.map((row) => [row.guid, row.id]));
      for (const voucher of chunk) ids.push(byGuid.get(voucher.guid)!);
    }
    return ids;
  }
}

function refused(problems: ImportProblem[], status = 422) {
  const first = problems[0]!;
  return ledgerProblem(
    status,
    status === 422 ? 'voucher-rejected' : 'voucher-held',
    status === 422 ? 'Voucher rejected' : 'Voucher already held',
    `voucher ${first.index}${first.guid ? ` (GUID ${first.guid})` : ''}: ${first.detail}; nothing was stored`,
    { index: first.index, errors: problems },
  );
}
