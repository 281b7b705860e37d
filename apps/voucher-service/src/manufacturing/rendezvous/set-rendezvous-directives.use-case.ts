import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditLog } from '@ztp/persistence';
import { loadManufacturer } from '../load-manufacturer';
import { checkRendezvousDirectives, type RendezvousDirective } from './rendezvous-directives';

/**
 * Replaces the rendezvous directives DI writes into the manufacturer's new vouchers
 * (tenant.settings.rendezvous; other settings are left alone). Devices already initialised keep
 * theirs. Audit event `manufacturer.rendezvous-updated`.
 */
@Injectable()
export class SetRendezvousDirectives {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
  ) {}

  async execute(input: {
    tenantId: string;
    actor: string;
    directives: unknown;
  }): Promise<RendezvousDirective[]> {
    const directives = checkRendezvousDirectives(input.directives);
    return this.dataSource.transaction(async (manager) => {
      const tenant = await loadManufacturer(manager, input.tenantId, { lock: true });
      await manager.query(
        `UPDATE tenant SET settings = jsonb_set(settings, '{rendezvous}', $1::jsonb) WHERE id = $2`,
        [JSON.stringify(directives), tenant.id],
      );
      await this.audit.append(manager, {
        tenantId: tenant.id,
        eventType: 'manufacturer.rendezvous-updated',
        subject: `tenant:${tenant.id}`,
        actor: input.actor,
        data: { directives },
      });
      return directives;
    });
  }
}
