/** The end of a `run`: how many devices made it, why the others did not, and how long each took. */
export interface RunSummary {
  flow: string;
  devices: number;
  succeeded: number;
  failed: number;
  /** Failure count per error line (e.g. "FDO 1: DI refused: ..."), most frequent first. */
  failures: { error: string; count: number }[];
  /** Per-device wall time of the flow, successes only, in ms. */
  latencyMs: { p50: number; p95: number; p99: number; max: number } | null;
  /** Wall time of the whole run, ms. */
  elapsedMs: number;
  /** Successful devices per second over the run. */
  throughputPerSec: number;
}

/** Nearest-rank percentile of ascending-sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('no values');
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export function summarizeRun(
  flow: string,
  outcomes: readonly ({ ok: true; ms: number } | { ok: false; error: string })[],
  elapsedMs: number,
): RunSummary {
  const latencies = outcomes
    .filter((o): o is { ok: true; ms: number } => o.ok)
    .map((o) => o.ms)
    .sort((a, b) => a - b);
  const byError = new Map<string, number>();
  for (const outcome of outcomes)
    if (!outcome.ok) byError.set(outcome.error, (byError.get(outcome.error) ?? 0) + 1);
  return {
    flow,
    devices: outcomes.length,
    succeeded: latencies.length,
    failed: outcomes.length - latencies.length,
    failures: [...byError].map(([error, count]) => ({ error, count })).sort((a, b) => b.count - a.count),
    latencyMs:
      latencies.length === 0
        ? null
        : {
            p50: round(percentile(latencies, 50)),
            p95: round(percentile(latencies, 95)),
            p99: round(percentile(latencies, 99)),
            max: round(latencies[latencies.length - 1]!),
          },
    elapsedMs: round(elapsedMs),
    throughputPerSec: elapsedMs > 0 ? round((latencies.length * 1000) / elapsedMs) : 0,
  };
}

/** The summary for people. */
export function formatSummary(summary: RunSummary): string {
  const lines = [
    `${summary.flow}: ${summary.succeeded}/${summary.devices} devices succeeded, ${summary.failed} failed in ${(summary.elapsedMs / 1000).toFixed(1)} s (${summary.throughputPerSec}/s)`,
  ];
  if (summary.latencyMs)
    lines.push(
      `latency ms: p50 ${summary.latencyMs.p50}, p95 ${summary.latencyMs.p95}, p99 ${summary.latencyMs.p99}, max ${summary.latencyMs.max}`,
    );
  for (const failure of summary.failures) lines.push(`  ${failure.count} x ${failure.error}`);
  return `${lines.join('\n')}\n`;
}
