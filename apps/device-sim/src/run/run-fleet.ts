import { describeError } from '../describe-error';
import { type DeviceFlow, type FlowContext } from '../flows';
import { type RunProgress } from './progress';
import { summarizeRun, type RunSummary } from './run-summary';

export interface FleetPlan {
  flow: DeviceFlow;
  context: FlowContext;
  count: number;
  concurrency: number;
  serialOf(index: number): string;
}

/** Drives `count` devices through a flow, at most `concurrency` at a time, and summarises. */
export async function runFleet(plan: FleetPlan, progress: RunProgress): Promise<RunSummary> {
  const outcomes: ({ ok: true; ms: number } | { ok: false; error: string })[] = [];
  let next = 0;
  const started = performance.now();
  progress.start(plan.count);
  const worker = async () => {
    while (next < plan.count) {
      const index = next++;
      const serialNumber = plan.serialOf(index);
      const t0 = performance.now();
      try {
        const { guid } = await plan.flow.run({ index, serialNumber }, plan.context);
        const ms = performance.now() - t0;
        outcomes.push({ ok: true, ms });
        progress.device({ index, serialNumber, ok: true, guid, ms });
      } catch (err) {
        const error = describeError(err);
        outcomes.push({ ok: false, error });
        progress.device({ index, serialNumber, ok: false, error, ms: performance.now() - t0 });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(plan.concurrency, plan.count) }, worker));
  } finally {
    progress.stop();
  }
  return summarizeRun(plan.flow.name, outcomes, performance.now() - started);
}
