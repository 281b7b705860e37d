import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type AppConfig } from '@ztp/config';
import { tenantSettings } from '@ztp/persistence';
import { APP_CONFIG } from '@ztp/platform';
import { loadManufacturer } from '../load-manufacturer';
import { effectiveRendezvousDirectives, type RendezvousDirective } from './rendezvous-directives';

export interface RendezvousDirectivesView {
  directives: RendezvousDirective[];
  /** tenant: configured for this manufacturer; default: this deployment's rendezvous server. */
  source: 'tenant' | 'default';
}

/** The rendezvous directives DI currently writes into the manufacturer's vouchers. */
@Injectable()
export class GetRendezvousDirectives {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute(input: { tenantId: string }): Promise<RendezvousDirectivesView> {
    const tenant = await loadManufacturer(this.dataSource.manager, input.tenantId);
    return effectiveRendezvousDirectives(
      tenantSettings(tenant.settings),
      this.config.apps.rendezvous.publicUrl,
    );
  }
}
