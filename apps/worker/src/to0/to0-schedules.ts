import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { type AppConfig } from '@ztp/config';
import { APP_CONFIG } from '@ztp/platform';
import { JobQueues, RENDEZVOUS_SWEEP, TO0_SCAN } from '@ztp/queue';

/** How often expired rendezvous registrations are deleted. */
export const RENDEZVOUS_SWEEP_EVERY_MS = 5 * 60_000;

/**
 * Registers the repeating jobs as BullMQ job schedulers (kept in the queue backend): the TO0 scan
 * every TO0_SCAN_INTERVAL_SECONDS and the registration sweep every 5 minutes. Upserting is
 * idempotent, so every worker replica does it at start and each period gets one job in all.
 *
 * The sweep is a queue job rather than a timer in the rendezvous app: it runs once per period
 * whatever the number of rendezvous replicas, and keeps background work off the TO1 hot path.
 */
@Injectable()
export class To0Schedules implements OnApplicationBootstrap {
  private readonly logger = new Logger('TO0');

  constructor(
    private readonly queues: JobQueues,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const every = this.config.to0.scanIntervalSeconds * 1000;
    await this.queues.get(TO0_SCAN).upsertJobScheduler('to0-scan', { every }, { name: 'scan', data: {} });
    await this.queues
      .get(RENDEZVOUS_SWEEP)
      .upsertJobScheduler(
        'rendezvous-sweep',
        { every: RENDEZVOUS_SWEEP_EVERY_MS },
        { name: 'sweep', data: {} },
      );
    this.logger.log(`TO0 scan every ${this.config.to0.scanIntervalSeconds} s`);
  }
}
