import { Inject, Injectable } from '@nestjs/common';
import { TransferEntity, VoucherEntity } from '@ztp/persistence';
import { CLOCK, type Clock } from '@ztp/platform';
import { DataSource, In } from 'typeorm';
import { LedgerAudit } from '../audit/ledger-audit';
import { ledgerProblem } from './ledger-problems';
import { VoucherQueryService } from './voucher-query.service';
import { type VoucherView } from './voucher-view';

/**
 * Soft delete: the voucher stays (status deleted, deletedAt) for history and audit, but no longer
 * counts as held, so its GUID may be imported again. Refused while a transfer of it is open.
 */
@Injectable()
export class VoucherDeleteService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly vouchers: VoucherQueryService,
    private readonly audit: LedgerAudit,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async delete(tenantId: string, reference: string, actor: string): Promise<VoucherView> {
    return this.dataSource.transaction(async (manager) => {
      const voucher = await this.vouchers.find(tenantId, reference, manager);
      if (voucher.status === 'deleted') return voucher;
      const locked = await manager
        .getRepository(VoucherEntity)
        .findOne({ where: { id: voucher.id }, lock: { mode: 'pessimistic_write' } });
      if (locked?.status !== voucher.status)
        throw ledgerProblem(
          409,
          'voucher-changed',
          'Voucher changed',
          'the voucher changed meanwhile; retry',
        );
      const open = await manager
        .getRepository(TransferEntity)
        .countBy({ voucherId: voucher.id, status: In(['scheduled', 'pending']) });
      if (open > 0)
        throw ledgerProblem(
          409,
          'transfer-open',
          'Transfer open',
          'cancel the open transfer of this voucher before deleting it',
        );
      const deletedAt = this.clock.now();
      await manager.getRepository(VoucherEntity).update({ id: voucher.id }, { status: 'deleted', deletedAt });
      await this.audit.record(manager, {
        tenantId,
        eventType: 'voucher.deleted',
        subject: `device:${voucher.guid}`,
        actor,
        data: { voucherId: voucher.id, previousStatus: voucher.status },
      });
      return { ...voucher, status: 'deleted' as const, deletedAt: deletedAt.toISOString() };
    });
  }
}
