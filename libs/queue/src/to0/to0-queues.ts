import { type JobQueues } from '../nest/job-queues';
import { defineQueue } from '../queue-definition';

/** Run automatic TO0 for one voucher: every rendezvous URL that is due (or all of them, forced). */
export interface To0RegisterJob {
  voucherId: string;
  /** Register again now, even where the last registration is in force and nothing changed. */
  force?: boolean;
}

export interface To0RegisterResult {
  /** registered: every due URL accepted; partial / failed: some or all refused or unreachable
   * (each retried on its own schedule); idle: nothing was due; stopped: TO0 no longer applies. */
  outcome: 'registered' | 'partial' | 'failed' | 'idle' | 'stopped';
  attempted: number;
  registered: number;
}

/**
 * One job per voucher at a time: the job id is the voucher's, so a voucher already queued is not
 * queued twice. Finished jobs are removed at once (their record is the to0_state table), so the id
 * is free for the next run.
 */
export const TO0_REGISTER = defineQueue<To0RegisterJob, To0RegisterResult>('to0.register', {
  removeOnComplete: true,
  removeOnFail: true,
});

/** The periodic scan: stops TO0 where it no longer applies and queues vouchers that are due. */
export const TO0_SCAN = defineQueue<Record<string, never>, { queued: number; stopped: number }>('to0.scan', {
  removeOnComplete: { count: 20 },
  removeOnFail: { count: 100 },
});

/** The periodic deletion of expired rendezvous registrations. */
export const RENDEZVOUS_SWEEP = defineQueue<Record<string, never>, { deleted: number }>('rendezvous.sweep', {
  removeOnComplete: { count: 20 },
  removeOnFail: { count: 100 },
});

export function to0RegisterJobId(voucherId: string): string {
  return `to0-register-${voucherId}`;
}

/**
 * Asks the worker to run TO0 for this voucher now (e.g. right after it arrived at an owner or the
 * owner changed its onboarding address) instead of at the next scan. A run already queued for
 * the voucher is not duplicated.
 */
export async function requestTo0Registration(queues: JobQueues, voucherId: string): Promise<void> {
  await queues
    .get(TO0_REGISTER)
    .add('register', { voucherId, force: true }, { jobId: to0RegisterJobId(voucherId) });
}
