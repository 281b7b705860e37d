import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { afterCommit, AssignmentRuleEntity, installAfterCommit, VoucherEntity } from '@ztp/persistence';
import { ProblemException } from '@ztp/platform';
import { parseVoucher } from '@ztp/protocol';
import { DataSource, type EntityManager } from 'typeorm';
import { LedgerAudit } from '../audit/ledger-audit';
import { type DeviceInitializedEvent } from '../manufacturing/di/device-initialized-hooks';
import { OwnerKeyService } from '../owner-keys/owner-key.service';
import { TransferService } from '../transfers/transfer.service';
import { VoucherReceivedHooks, type VouchersReceived } from '../vouchers/voucher-received-hooks';
import { matchesGlob } from './device-info-pattern';

/** A voucher a rule may apply to. */
interface Candidate {
  voucherId: string;
  guid: string;
  deviceInfo: string;
  /** Set for DI vouchers only (productionLine rules ignore the rest). */
  productionLine?: string | null;
}

const SWEEP_EVERY_MS = 30_000;

/**
 * Applies assignment rules. When a tenant gets vouchers (DI, import, accepted transfer), the first
 * enabled rule of that tenant matching each voucher (by priority, then age) schedules a transfer
 * to the rule's target, inside the same transaction; the transfer is signed right after the commit
 * (signing goes through key custody, which must not run inside the transaction) and then goes to the
 * recipient like any transfer: incoming, or accepted at once if the recipient auto-accepts from this
 * tenant (TenantSettings.autoAcceptTransfersFrom). A rule that cannot apply (the recipient has no
 * owner key of the voucher's type) is skipped with an `assignment.skipped` audit event, never
 * failing DI. Scheduled transfers left by a stopped process are signed by a sweep every 30 s.
 */
@Injectable()
export class AssignmentEngine implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Assignment');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly transfers: TransferService,
    private readonly ownerKeys: OwnerKeyService,
    private readonly audit: LedgerAudit,
    private readonly receivedHooks: VoucherReceivedHooks,
  ) {}

  onModuleInit(): void {
    installAfterCommit(this.dataSource, (err) =>
      this.logger.warn(`After-commit work failed: ${(err as Error).message}`),
    );
    this.receivedHooks.register((manager, event) => this.onVouchersReceived(manager, event));
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** DEVICE_INITIALIZED_HOOKS entry: runs in the DI transaction. */
  readonly onDeviceInitialized = async (
    manager: EntityManager,
    event: DeviceInitializedEvent,
  ): Promise<void> => {
    await this.apply(manager, event.manufacturerTenantId, [
      {
        voucherId: event.voucherId,
        guid: event.guid,
        deviceInfo: event.deviceInfo,
        productionLine: event.productionLine,
      },
    ]);
  };

  private async onVouchersReceived(manager: EntityManager, event: VouchersReceived): Promise<void> {
    await this.apply(manager, event.tenantId, event.vouchers);
  }

  private async apply(manager: EntityManager, tenantId: string, candidates: Candidate[]): Promise<void> {
    const rules = await manager
      .getRepository(AssignmentRuleEntity)
      .find({ where: { tenantId, enabled: true }, order: { priority: 'ASC', createdAt: 'ASC' } });
    if (rules.length === 0) return;
    const scheduled: string[] = [];
    for (const candidate of candidates) {
      const rule = rules.find((each) => matches(each, candidate));
      if (!rule) continue;
      const id = await this.schedule(manager, tenantId, rule, candidate);
      if (id) scheduled.push(id);
    }
    if (scheduled.length > 0) afterCommit(manager, () => this.execute(scheduled));
  }

  private async schedule(
    manager: EntityManager,
    tenantId: string,
    rule: AssignmentRuleEntity,
    candidate: Candidate,
  ) {
    const voucher = await manager.getRepository(VoucherEntity).findOneBy({ id: candidate.voucherId });
    if (!voucher) return undefined;
    try {
      const manufacturerKey = parseVoucher(new Uint8Array(voucher.cbor)).header.manufacturerKey;
      const key = await this.ownerKeys.recipientKey(
        rule.targetTenantId,
        manufacturerKey,
        rule.targetOwnerKeyId ?? undefined,
        manager,
      );
      return await this.transfers.schedule(manager, {
        voucherId: voucher.id,
        fromTenantId: tenantId,
        toTenantId: rule.targetTenantId,
        toOwnerKeyId: key.id,
        ruleId: rule.id,
        createdBy: `assignment-rule:${rule.id}`,
      });
    } catch (err) {
      if (!(err instanceof ProblemException)) throw err;
      await this.audit.record(manager, {
        tenantId,
        eventType: 'assignment.skipped',
        subject: `device:${candidate.guid}`,
        actor: `assignment-rule:${rule.id}`,
        data: {
          ruleId: rule.id,
          voucherId: voucher.id,
          reason: err.description.detail ?? err.description.title,
        },
      });
      return undefined;
    }
  }

  /** Signs and hands over scheduled transfers, one by one. */
  async execute(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      try {
        await this.transfers.executeScheduled(id);
      } catch (err) {
        this.logger.warn(`Scheduled transfer ${id} failed (the sweep retries it): ${(err as Error).message}`);
      }
    }
  }

  private async sweep(): Promise<void> {
    try {
      await this.execute(await this.transfers.scheduledBefore(new Date(Date.now() - SWEEP_EVERY_MS)));
    } catch (err) {
      this.logger.warn(`Assignment sweep failed: ${(err as Error).message}`);
    }
  }
}

function matches(rule: AssignmentRuleEntity, candidate: Candidate): boolean {
  if (
    rule.productionLine !== null &&
    (candidate.productionLine === undefined || candidate.productionLine !== rule.productionLine)
  )
    return false;
  return rule.deviceInfoPattern === null || matchesGlob(rule.deviceInfoPattern, candidate.deviceInfo);
}
