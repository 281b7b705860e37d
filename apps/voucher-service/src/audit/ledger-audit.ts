import { Inject, Injectable } from '@nestjs/common';
import { AuditLog, type AuditEventInput } from '@ztp/persistence';
import { CLOCK, type Clock } from '@ztp/platform';
import { type EntityManager } from 'typeorm';

/**
 * Audit events of ledger changes, written in the change's transaction. Several events (one per
 * tenant involved, e.g. sender and recipient of a transfer) are appended in tenant-id order, so two
 * transactions that lock the same tenants' chain heads always do so in the same order.
 */
@Injectable()
export class LedgerAudit {
  private readonly log: AuditLog;

  constructor(@Inject(CLOCK) clock: Clock) {
    this.log = new AuditLog(() => clock.now());
  }

  async record(manager: EntityManager, ...events: AuditEventInput[]): Promise<void> {
    const ordered = [...events].sort((a, b) =>
      a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : 0,
    );
    for (const event of ordered) await this.log.append(manager, event);
  }

  verify(manager: EntityManager, tenantId: string) {
    return this.log.verifyChain(manager, tenantId);
  }
}
