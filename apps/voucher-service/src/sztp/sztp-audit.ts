import { Inject, Injectable } from '@nestjs/common';
import { AuditLog, type AuditEventInput } from '@ztp/persistence';
import { CLOCK, type Clock } from '@ztp/platform';
import { type EntityManager } from 'typeorm';

/**
 * Audit events of SZTP ledger changes, in the change's transaction. Events of several tenants (a
 * voucher issued by a manufacturer to an owner, a transfer) are appended in tenant-id order, so
 * two transactions locking the same tenants' chain heads do so in the same order.
 */
@Injectable()
export class SztpAudit {
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
}
