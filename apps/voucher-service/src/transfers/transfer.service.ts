import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '@ztp/auth';
import {
  afterCommit,
  DeviceEntity,
  type OwnerKeyEntity,
  TenantEntity,
  tenantSettings,
  TransferEntity,
  type TransferStatus,
  VoucherEntity,
  withdrawRegistrations,
} from '@ztp/persistence';
import { type Clock, CLOCK, isUuid } from '@ztp/platform';
import {
  extendVoucher,
  type NextOwner,
  type OvExtra,
  type OwnershipVoucher,
  parseVoucher,
  VoucherError,
  voucherOwnerKey,
} from '@ztp/protocol';
import { JobQueues, requestTo0Registration, WebhookEvents } from '@ztp/queue';
import { DataSource, type EntityManager } from 'typeorm';
import { LedgerAudit } from '../audit/ledger-audit';
import { OwnerKeyService } from '../owner-keys/owner-key.service';
import { TenantService } from '../tenants/tenant.service';
import { cursorTimestampSql, decodeCursor, type Page, pageOf } from '../vouchers/http/cursor';
import { isUniqueViolation, ledgerProblem } from '../vouchers/ledger-problems';
import { publicKeySha256 } from '../vouchers/voucher-facts';
import { VoucherQueryService } from '../vouchers/voucher-query.service';
import { VoucherReceivedHooks } from '../vouchers/voucher-received-hooks';
import { type VoucherView } from '../vouchers/voucher-view';
import { type CreateTransferRequest, extraOf, recipientOf } from './transfer-request';
import { transferView, type TransferView } from './transfer-view';

/** What an assignment rule asks for, inside the transaction that gave the tenant the voucher. */
export interface ScheduleTransferInput {
  voucherId: string;
  fromTenantId: string;
  toTenantId: string;
  toOwnerKeyId: string;
  ruleId: string;
  createdBy: string;
}

export interface ListTransfersQuery {
  direction: 'incoming' | 'outgoing' | 'all';
  status?: TransferStatus;
  cursor?: string;
  limit: number;
}

/**
 * Hand-overs of vouchers. The holder signs the voucher over (a new entry, signed in key custody by
 * the voucher's current owner key) to another tenant's owner key, or to a key or certificate chain
 * outside the service. A transfer to a tenant waits as incoming until the recipient accepts it
 * (unless the recipient auto-accepts from the sender, see TenantSettings.autoAcceptTransfersFrom);
 * on acceptance the voucher row is updated in place (bytes, entries, owner key, holder), so there
 * is still exactly one active voucher per GUID and one holder; the transfer row keeps the bytes
 * from before and after. Signing happens before the transaction, which then checks the voucher has
 * not changed meanwhile. After an acceptance commits, TO0 is requested for the voucher at once
 * (requestTo0Registration; the worker decides whether it applies to the new holder).
 */
@Injectable()
export class TransferService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly ownerKeys: OwnerKeyService,
    private readonly tenants: TenantService,
    private readonly vouchers: VoucherQueryService,
    private readonly audit: LedgerAudit,
    private readonly webhooks: WebhookEvents,
    private readonly receivedHooks: VoucherReceivedHooks,
    private readonly queues: JobQueues,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async create(
    tenantId: string,
    reference: string,
    request: CreateTransferRequest,
    actor: string,
  ): Promise<TransferView> {
    const recipient = recipientOf(request);
    const voucher = await this.vouchers.find(tenantId, reference);
    assertTransferable(voucher);
    const parsed = parseVoucher(new Uint8Array(voucher.cbor));
    let target: { tenant: TenantEntity; key: OwnerKeyEntity } | undefined;
    if (recipient.kind === 'tenant') {
      const tenant = await this.tenants.find(recipient.tenant);
      if (!tenant)
        throw ledgerProblem(422, 'unknown-recipient', 'Unknown recipient', `no tenant ${recipient.tenant}`);
      if (tenant.id === tenantId)
        throw ledgerProblem(
          422,
          'invalid-recipient',
          'Invalid recipient',
          'a tenant cannot transfer a voucher to itself',
        );
      target = {
        tenant,
        key: await this.ownerKeys.recipientKey(
          tenant.id,
          parsed.header.manufacturerKey,
          recipient.ownerKeyId,
        ),
      };
    }
    const nextOwner = target
      ? this.ownerKeys.publicKey(target.key)
      : (recipient as { nextOwner: NextOwner }).nextOwner;
    const extended = await this.extend(tenantId, voucher.ownerKeySha256, parsed, nextOwner, extraOf(request));
    try {
      return await this.dataSource.transaction(async (manager) => {
        await this.lockUnchanged(manager, voucher.id, tenantId, voucher.numEntries);
        const now = this.clock.now();
        const transfer = manager.getRepository(TransferEntity).create({
          voucherId: voucher.id,
          guid: voucher.guid,
          fromTenantId: tenantId,
          toTenantId: target?.tenant.id ?? null,
          toOwnerKeyId: target?.key.id ?? null,
          status: target ? 'pending' : 'completed',
          sourceNumEntries: voucher.numEntries,
          previousCbor: voucher.cbor,
          extendedCbor: Buffer.from(extended.bytes),
          nextOwnerKeySha256: extended.ownerKeySha256,
          extra: request.extra && Object.keys(request.extra).length > 0 ? request.extra : null,
          ruleId: null,
          createdBy: actor,
          decidedBy: target ? null : actor,
          decidedAt: target ? null : now,
        });
        await manager.getRepository(TransferEntity).save(transfer);
        if (target) await this.deliver(manager, transfer, target.tenant);
        else await this.transferOut(manager, transfer, actor);
        return transferView(transfer, tenantId);
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw ledgerProblem(
          409,
          'transfer-open',
          'Transfer open',
          'this voucher already has an open transfer; cancel it first',
        );
      throw err;
    }
  }

  async list(tenantId: string, query: ListTransfersQuery): Promise<Page<TransferView>> {
    const builder = this.dataSource
      .getRepository(TransferEntity)
      .createQueryBuilder('t')
      .addSelect(cursorTimestampSql('t.created_at'), 'cursor_ts')
      .orderBy('t.created_at', 'DESC')
      .addOrderBy('t.id', 'DESC')
      .limit(query.limit + 1);
    if (query.direction === 'incoming')
      builder.where("t.to_tenant_id = :tenantId AND t.status <> 'scheduled'", { tenantId });
    else if (query.direction === 'outgoing') builder.where('t.from_tenant_id = :tenantId', { tenantId });
    else
      builder.where(
        "(t.from_tenant_id = :tenantId OR (t.to_tenant_id = :tenantId AND t.status <> 'scheduled'))",
        {
          tenantId,
        },
      );
    if (query.status) builder.andWhere('t.status = :status', { status: query.status });
    const cursor = decodeCursor(query.cursor);
    if (cursor)
      builder.andWhere('(t.created_at, t.id) < (:ts::timestamptz, :id::uuid)', {
        ts: cursor.createdAt,
        id: cursor.id,
      });
    const { entities, raw } = await builder.getRawAndEntities<{ cursor_ts: string }>();
    const rows = entities.map((transfer, index) => ({ transfer, ts: raw[index]!.cursor_ts }));
    return pageOf(
      rows,
      query.limit,
      (row) => ({ createdAt: row.ts, id: row.transfer.id }),
      (row) => transferView(row.transfer, tenantId),
    );
  }

  async get(tenantId: string, id: string): Promise<TransferView> {
    return transferView(await this.visible(this.dataSource.manager, tenantId, id), tenantId);
  }

  /** The voucher as this transfer makes it (what the recipient gets, or what left the service). */
  async extendedVoucher(tenantId: string, id: string): Promise<Buffer> {
    const transfer = await this.visible(this.dataSource.manager, tenantId, id);
    if (!transfer.extendedCbor)
      throw ledgerProblem(409, 'transfer-scheduled', 'Not signed yet', 'the transfer is not signed yet');
    return transfer.extendedCbor;
  }

  async accept(tenantId: string, id: string, actor: string): Promise<TransferView> {
    const accepted = await this.dataSource.transaction(async (manager) => {
      const transfer = await this.lockVisible(manager, id, (t) => t.toTenantId === tenantId);
      assertPending(transfer);
      return (await this.applyAcceptance(manager, transfer, actor)) ? transfer : undefined;
    });
    if (!accepted) {
      await this.voidTransfer(id, actor);
      throw ledgerProblem(
        409,
        'voucher-changed',
        'Voucher changed',
        'the voucher changed after this transfer was made; it is void',
      );
    }
    return transferView(accepted, tenantId);
  }

  /** The recipient declines an incoming transfer; the sender keeps the voucher. */
  async reject(tenantId: string, id: string, actor: string): Promise<TransferView> {
    return this.close(tenantId, id, actor, 'rejected', (t) => t.toTenantId === tenantId);
  }

  /** The sender withdraws a pending (or not yet signed) transfer. */
  async cancel(tenantId: string, id: string, actor: string): Promise<TransferView> {
    return this.close(tenantId, id, actor, 'cancelled', (t) => t.fromTenantId === tenantId);
  }

  /** Records a rule's transfer, to be signed after the transaction commits (executeScheduled). */
  async schedule(manager: EntityManager, input: ScheduleTransferInput): Promise<string | undefined> {
    const voucher = await manager.getRepository(VoucherEntity).findOneBy({ id: input.voucherId });
    if (!voucher || voucher.status !== 'active' || voucher.holderTenantId !== input.fromTenantId)
      return undefined;
    const saved = await manager.getRepository(TransferEntity).save({
      voucherId: voucher.id,
      guid: voucher.guid,
      fromTenantId: input.fromTenantId,
      toTenantId: input.toTenantId,
      toOwnerKeyId: input.toOwnerKeyId,
      status: 'scheduled',
      sourceNumEntries: voucher.numEntries,
      previousCbor: voucher.cbor,
      extendedCbor: null,
      nextOwnerKeySha256: null,
      extra: null,
      ruleId: input.ruleId,
      createdBy: input.createdBy,
      decidedBy: null,
      decidedAt: null,
    });
    return saved.id;
  }

  /**
   * Signs a scheduled transfer and hands it over (incoming, or accepted at once when the recipient
   * auto-accepts from the sender). A voucher that changed meanwhile voids it. Returns the status.
   */
  async executeScheduled(id: string): Promise<TransferStatus> {
    const transfer = await this.dataSource.getRepository(TransferEntity).findOneBy({ id });
    if (!transfer || transfer.status !== 'scheduled') return transfer?.status ?? 'void';
    const parsed = parseVoucher(new Uint8Array(transfer.previousCbor));
    const key = await this.ownerKeys.get(transfer.toTenantId!, transfer.toOwnerKeyId!).catch(() => undefined);
    const signerKeySha = publicKeySha256(voucherOwnerKey(parsed));
    let extended: { bytes: Uint8Array; ownerKeySha256: string } | undefined;
    if (key && !key.retiredAt) {
      try {
        extended = await this.extend(
          transfer.fromTenantId,
          signerKeySha,
          parsed,
          this.ownerKeys.publicKey(key),
          null,
        );
      } catch {
        extended = undefined;
      }
    }
    const status = await this.dataSource.transaction(async (manager) => {
      const locked = await this.lockVisible(manager, id, () => true);
      if (locked.status !== 'scheduled') return locked.status;
      const voucher = await manager
        .getRepository(VoucherEntity)
        .findOne({ where: { id: locked.voucherId }, lock: { mode: 'pessimistic_write' } });
      const unchanged =
        voucher?.status === 'active' &&
        voucher.holderTenantId === locked.fromTenantId &&
        voucher.numEntries === locked.sourceNumEntries;
      if (!extended || !unchanged) {
        await manager
          .getRepository(TransferEntity)
          .update({ id }, { status: 'void', decidedAt: this.clock.now(), decidedBy: 'system' });
        return 'void' as const;
      }
      locked.status = 'pending';
      locked.extendedCbor = Buffer.from(extended.bytes);
      locked.nextOwnerKeySha256 = extended.ownerKeySha256;
      await manager.getRepository(TransferEntity).update(
        { id },
        {
          status: 'pending',
          extendedCbor: locked.extendedCbor,
          nextOwnerKeySha256: locked.nextOwnerKeySha256,
        },
      );
      const recipient = await manager.getRepository(TenantEntity).findOneByOrFail({ id: locked.toTenantId! });
      await this.deliver(manager, locked, recipient);
      return locked.status;
    });
    return status;
  }

  /** Scheduled transfers left behind (the process stopped before signing them). */
  async scheduledBefore(before: Date, limit = 100): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM transfer WHERE status = 'scheduled' AND created_at < $1 ORDER BY created_at LIMIT $2`,
      [before, limit],
    );
    return rows.map((row) => row.id);
  }

  private async extend(
    tenantId: string,
    ownerKeySha256: string,
    voucher: OwnershipVoucher,
    nextOwner: NextOwner,
    extra: OvExtra | null,
  ): Promise<{ bytes: Uint8Array; ownerKeySha256: string }> {
    const { signer } = await this.ownerKeys.signerFor(
      tenantId,
      ownerKeySha256,
      voucher.header.manufacturerKey,
    );
    try {
      const extended = await extendVoucher(voucher, signer, nextOwner, { extra, verify: false });
      return { bytes: extended.bytes, ownerKeySha256: publicKeySha256(voucherOwnerKey(extended)) };
    } catch (err) {
      if (err instanceof VoucherError)
        throw ledgerProblem(422, 'cannot-extend', 'Cannot extend the voucher', err.message, {
          code: err.code,
        });
      throw err;
    }
  }

  /** A new incoming transfer: accepted at once if the recipient trusts the sender, else announced. */
  private async deliver(
    manager: EntityManager,
    transfer: TransferEntity,
    recipient: TenantEntity,
  ): Promise<void> {
    const autoAccept =
      tenantSettings(recipient.settings).autoAcceptTransfersFrom?.includes(transfer.fromTenantId) ?? false;
    if (autoAccept && (await this.applyAcceptance(manager, transfer, 'system:auto-accept'))) return;
    const data = { transferId: transfer.id, voucherId: transfer.voucherId, guid: transfer.guid };
    await this.audit.record(
      manager,
      {
        tenantId: transfer.fromTenantId,
        eventType: 'transfer.offered',
        subject: `device:${transfer.guid}`,
        actor: transfer.createdBy,
        data: { ...data, toTenantId: recipient.id, ruleId: transfer.ruleId },
      },
      {
        tenantId: recipient.id,
        eventType: 'transfer.incoming',
        subject: `device:${transfer.guid}`,
        actor: transfer.createdBy,
        data: { ...data, fromTenantId: transfer.fromTenantId },
      },
    );
    await this.webhooks.emit(manager, {
      tenantId: recipient.id,
      type: 'voucher.received',
      subject: `transfer:${transfer.id}`,
      data: { source: 'transfer', status: 'pending', ...data, fromTenantId: transfer.fromTenantId },
    });
  }

  /**
   * The recipient takes the voucher: the voucher row gets the extended bytes, one more entry, the
   * recipient's owner key and the recipient as holder. False (nothing written) when the voucher
   * changed since the transfer was made.
   */
  private async applyAcceptance(
    manager: EntityManager,
    transfer: TransferEntity,
    actor: string,
  ): Promise<boolean> {
    const vouchers = manager.getRepository(VoucherEntity);
    const voucher = await vouchers.findOne({
      where: { id: transfer.voucherId },
      lock: { mode: 'pessimistic_write' },
    });
    if (
      !voucher ||
      voucher.status !== 'active' ||
      voucher.holderTenantId !== transfer.fromTenantId ||
      voucher.numEntries !== transfer.sourceNumEntries
    )
      return false;
    const recipientId = transfer.toTenantId!;
    await vouchers.update(
      { id: voucher.id },
      {
        cbor: transfer.extendedCbor!,
        numEntries: voucher.numEntries + 1,
        ownerKeySha256: transfer.nextOwnerKeySha256!,
        holderTenantId: recipientId,
      },
    );
    transfer.status = 'accepted';
    transfer.decidedBy = actor;
    transfer.decidedAt = this.clock.now();
    await manager
      .getRepository(TransferEntity)
      .update({ id: transfer.id }, { status: 'accepted', decidedBy: actor, decidedAt: transfer.decidedAt });
    const data = { transferId: transfer.id, voucherId: voucher.id, guid: voucher.guid };
    await this.audit.record(
      manager,
      {
        tenantId: transfer.fromTenantId,
        eventType: 'voucher.transferred',
        subject: `device:${voucher.guid}`,
        actor,
        data: { ...data, toTenantId: recipientId, ruleId: transfer.ruleId },
      },
      {
        tenantId: recipientId,
        eventType: 'voucher.received',
        subject: `device:${voucher.guid}`,
        actor,
        data: { ...data, fromTenantId: transfer.fromTenantId, numEntries: voucher.numEntries + 1 },
      },
    );
    if (actor === 'system:auto-accept')
      await this.webhooks.emit(manager, {
        tenantId: recipientId,
        type: 'voucher.received',
        subject: `transfer:${transfer.id}`,
        data: { source: 'transfer', status: 'accepted', ...data, fromTenantId: transfer.fromTenantId },
      });
    await this.webhooks.emit(manager, {
      tenantId: transfer.fromTenantId,
      type: 'transfer.accepted',
      subject: `transfer:${transfer.id}`,
      data: { ...data, toTenantId: recipientId },
    });
    // The device state machine: an owner tenant taking the voucher makes the device owned, from
    // manufactured (its first owner) or onboarded (a resale: the buyer has not onboarded it yet, so
    // automatic TO0 registers it for the buyer). A guarded UPDATE: the database refuses any other
    // move. The previous holder's per-device re-onboarding override and arm do not pass on.
    const [current] = (await manager.query(`SELECT lifecycle FROM device WHERE id = $1 FOR NO KEY UPDATE`, [
      voucher.deviceId,
    ])) as { lifecycle: string }[];
    await manager.query(
      `UPDATE device SET reonboarding = NULL, reonboard_requested_at = NULL
        WHERE id = $1 AND (reonboarding IS NOT NULL OR reonboard_requested_at IS NOT NULL)`,
      [voucher.deviceId],
    );
    const [owned] = (await manager.query(
      `UPDATE device SET lifecycle = 'owned', updated_at = $3
        WHERE id = $1 AND lifecycle = $4 AND lifecycle IN ('manufactured', 'onboarded')
          AND EXISTS (SELECT 1 FROM tenant WHERE id = $2 AND kind = 'owner')
        RETURNING id`,
      [voucher.deviceId, recipientId, transfer.decidedAt, current?.lifecycle ?? null],
    )) as [unknown[], number];
    if (owned.length === 1) {
      const ownedData = {
        deviceId: voucher.deviceId,
        guid: voucher.guid,
        from: current!.lifecycle,
        to: 'owned',
      };
      await this.audit.record(manager, {
        tenantId: recipientId,
        eventType: 'device.owned',
        subject: `device:${voucher.guid}`,
        actor,
        data: { ...ownedData, transferId: transfer.id },
      });
      await this.webhooks.emit(manager, {
        tenantId: recipientId,
        type: 'device.owned',
        subject: `device:${voucher.guid}`,
        data: { ...ownedData, transferId: transfer.id },
      });
    }
    // The previous holder's registration at this installation's rendezvous stops being served at
    // once (else the device is sent to the seller until it expires, and for good while the buyer
    // has no onboarding address to register); the buyer's extended voucher replaces it anyway.
    await withdrawRegistrations(manager, [voucher.guid], voucher.ownerKeySha256);
    // The new holder registers the device at rendezvous (TO0) now rather than at the next scan.
    afterCommit(manager, () => requestTo0Registration(this.queues, voucher.id));
    const device = await manager.getRepository(DeviceEntity).findOneBy({ id: voucher.deviceId });
    await this.receivedHooks.run(manager, {
      tenantId: recipientId,
      source: 'transfer',
      vouchers: [{ voucherId: voucher.id, guid: voucher.guid, deviceInfo: device?.deviceInfo ?? '' }],
    });
    return true;
  }

  /** An external transfer: the voucher leaves the service (status transferred-out, kept for history). */
  private async transferOut(manager: EntityManager, transfer: TransferEntity, actor: string): Promise<void> {
    await manager.getRepository(VoucherEntity).update(
      { id: transfer.voucherId },
      {
        cbor: transfer.extendedCbor!,
        numEntries: transfer.sourceNumEntries + 1,
        ownerKeySha256: transfer.nextOwnerKeySha256!,
        status: 'transferred-out',
      },
    );
    await this.audit.record(manager, {
      tenantId: transfer.fromTenantId,
      eventType: 'voucher.transferred-out',
      subject: `device:${transfer.guid}`,
      actor,
      data: {
        transferId: transfer.id,
        voucherId: transfer.voucherId,
        nextOwnerKeySha256: transfer.nextOwnerKeySha256,
      },
    });
  }

  private async close(
    tenantId: string,
    id: string,
    actor: string,
    status: 'rejected' | 'cancelled',
    allowed: (transfer: TransferEntity) => boolean,
  ): Promise<TransferView> {
    return this.dataSource.transaction(async (manager) => {
      const transfer = await this.lockVisible(manager, id, allowed);
      if (!(transfer.status === 'pending' || (status === 'cancelled' && transfer.status === 'scheduled')))
        throw ledgerProblem(
          409,
          'transfer-not-pending',
          'Transfer not pending',
          `the transfer is ${transfer.status}`,
        );
      transfer.status = status;
      transfer.decidedBy = actor;
      transfer.decidedAt = this.clock.now();
      await manager
        .getRepository(TransferEntity)
        .update({ id: transfer.id }, { status, decidedBy: actor, decidedAt: transfer.decidedAt });
      const data = { transferId: transfer.id, voucherId: transfer.voucherId, guid: transfer.guid };
      await this.audit.record(
        manager,
        {
          tenantId: transfer.fromTenantId,
          eventType: `transfer.${status}`,
          subject: `device:${transfer.guid}`,
          actor,
          data,
        },
        {
          tenantId: transfer.toTenantId!,
          eventType: `transfer.${status}`,
          subject: `device:${transfer.guid}`,
          actor,
          data,
        },
      );
      if (status === 'rejected')
        await this.webhooks.emit(manager, {
          tenantId: transfer.fromTenantId,
          type: 'transfer.rejected',
          subject: `transfer:${transfer.id}`,
          data,
        });
      return transferView(transfer, tenantId);
    });
  }

  private async voidTransfer(id: string, actor: string): Promise<void> {
    await this.dataSource
      .getRepository(TransferEntity)
      .update({ id, status: 'pending' }, { status: 'void', decidedBy: actor, decidedAt: this.clock.now() });
  }

  private async lockUnchanged(
    manager: EntityManager,
    voucherId: string,
    holder: string,
    numEntries: number,
  ): Promise<void> {
    const voucher = await manager
      .getRepository(VoucherEntity)
      .findOne({ where: { id: voucherId }, lock: { mode: 'pessimistic_write' } });
    if (
      voucher?.status !== 'active' ||
      voucher.holderTenantId !== holder ||
      voucher.numEntries !== numEntries
    )
      throw ledgerProblem(
        409,
        'voucher-changed',
        'Voucher changed',
        'the voucher changed while the transfer was being made; retry',
      );
  }

  private async visible(manager: EntityManager, tenantId: string, id: string): Promise<TransferEntity> {
    const transfer = isUuid(id) ? await manager.getRepository(TransferEntity).findOneBy({ id }) : null;
    if (!transfer || !canSee(transfer, tenantId)) throw notFound('transfer', id);
    return transfer;
  }

  private async lockVisible(
    manager: EntityManager,
    id: string,
    allowed: (transfer: TransferEntity) => boolean,
  ): Promise<TransferEntity> {
    const transfer = isUuid(id)
      ? await manager
          .getRepository(TransferEntity)
          .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } })
      : null;
    if (!transfer || !allowed(transfer)) throw notFound('transfer', id);
    return transfer;
  }
}

/** Sender always; recipient once the transfer is signed (a scheduled one is the sender's business). */
function canSee(transfer: TransferEntity, tenantId: string): boolean {
  return (
    transfer.fromTenantId === tenantId ||
    (transfer.toTenantId === tenantId && transfer.status !== 'scheduled')
  );
}

function assertPending(transfer: TransferEntity): void {
  if (transfer.status !== 'pending')
    throw ledgerProblem(
      409,
      'transfer-not-pending',
      'Transfer not pending',
      `the transfer is ${transfer.status}`,
    );
}

/**
 * Only the live voucher of a device can be handed on: not one deleted or already transferred out,
 * and not one whose device onboarded with it: after TO2 the device trusts the replacement voucher
 * (resale starts from it), and after a TO2 with credential reuse the previous owner keeps access,
 * so that voucher must not be sold on.
 */
function assertTransferable(voucher: VoucherView): void {
  if (voucher.status === 'retired')
    throw ledgerProblem(
      409,
      'device-onboarded',
      'Device onboarded',
      'this voucher was replaced when the device onboarded; transfer the replacement voucher instead',
      { replacementGuid: voucher.device.currentGuid },
    );
  if (voucher.status !== 'active')
    throw ledgerProblem(409, 'voucher-not-active', 'Voucher not active', `the voucher is ${voucher.status}`);
  if (voucher.device.lifecycle === 'onboarded' && voucher.replacesVoucherId === null)
    throw ledgerProblem(
      409,
      'device-onboarded',
      'Device onboarded',
      'the device onboarded with this voucher (credentials reused): it can no longer be transferred; only a replacement voucher can',
    );
}
