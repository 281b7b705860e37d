import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Job } from 'bullmq';
import { deleteExpiredRegistrations } from '@ztp/persistence';
import { CLOCK, type Clock } from '@ztp/platform';
import {
  JobQueues,
  RENDEZVOUS_SWEEP,
  TO0_REGISTER,
  TO0_SCAN,
  to0RegisterJobId,
  type JobProcessor,
  type To0RegisterJob,
  type To0RegisterResult,
} from '@ztp/queue';
import { DataSource } from 'typeorm';
import { To0Registrar } from './to0-registrar';
import { To0TargetsRepository } from './to0-targets.repository';

/** Vouchers queued per scan at most; the next scan continues where this one stopped. */
export const SCAN_BATCH = 500;

/** Runs TO0 for one voucher (queued by the scan or by requestTo0Registration). */
@Injectable()
export class To0RegisterProcessor implements JobProcessor<To0RegisterJob, To0RegisterResult> {
  readonly queue = TO0_REGISTER;
  /** Each job waits on the network; a few at once keep a slow rendezvous server from stalling the rest. */
  readonly concurrency = 4;

  constructor(private readonly registrar: To0Registrar) {}

  process(job: Job<To0RegisterJob, To0RegisterResult>): Promise<To0RegisterResult> {
    return this.registrar.register(job.data.voucherId, job.data.force === true);
  }
}

/** The periodic TO0 scan: stops what no longer applies, queues what is due. */
@Injectable()
export class To0ScanProcessor implements JobProcessor<
  Record<string, never>,
  { queued: number; stopped: number }
> {
  readonly queue = TO0_SCAN;
  private readonly logger = new Logger('TO0');

  constructor(
    private readonly targets: To0TargetsRepository,
    private readonly queues: JobQueues,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async process(): Promise<{ queued: number; stopped: number }> {
    const stopped = await this.targets.stopIneligible();
    const due = await this.targets.findDue(this.clock.now(), SCAN_BATCH);
    await this.queues.get(TO0_REGISTER).addBulk(
      due.map((voucherId) => ({
        name: 'register',
        data: { voucherId },
        opts: { jobId: to0RegisterJobId(voucherId) },
      })),
    );
    if (due.length > 0 || stopped > 0)
      this.logger.log(`TO0 scan: ${due.length} voucher(s) queued, ${stopped} state(s) stopped`);
    return { queued: due.length, stopped };
  }
}

/** Deletes expired rendezvous registrations (TO1 already ignores them; this keeps the table small). */
@Injectable()
export class RendezvousSweepProcessor implements JobProcessor<Record<string, never>, { deleted: number }> {
  readonly queue = RENDEZVOUS_SWEEP;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async process(): Promise<{ deleted: number }> {
    let deleted = 0;
    for (;;) {
      const batch = await deleteExpiredRegistrations(this.dataSource.manager, this.clock.now());
      deleted += batch;
      if (batch === 0) return { deleted };
    }
  }
}
