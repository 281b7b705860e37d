import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';

/** Vouchers a tenant has just come to hold (an import, or an accepted transfer). */
export interface VouchersReceived {
  tenantId: string;
  source: 'import' | 'transfer';
  vouchers: { voucherId: string; guid: string; deviceInfo: string }[];
}

/** Runs inside the transaction that gave the tenant the vouchers. */
export type VouchersReceivedHook = (manager: EntityManager, event: VouchersReceived) => Promise<void>;

/**
 * Who wants to know when a tenant receives vouchers (assignment rules of resellers). Features
 * register at module init; the import and transfer paths call `run` in their transactions.
 */
@Injectable()
export class VoucherReceivedHooks {
  private readonly hooks: VouchersReceivedHook[] = [];

  register(hook: VouchersReceivedHook): void {
    this.hooks.push(hook);
  }

  async run(manager: EntityManager, event: VouchersReceived): Promise<void> {
    if (event.vouchers.length === 0) return;
    for (const hook of this.hooks) await hook(manager, event);
  }
}
