/**
 * One benchmark. Files named bench/<area>.bench.ts export `benchmarks: BenchCase[]`; `npm run bench
 * [-- PREFIX]` runs those whose name starts with PREFIX and prints one JSON line each.
 */
export interface BenchCase<Ctx = unknown> {
  /** Name as the issues give it, e.g. `voucher.verify`. */
  name: string;
  /** Prepares keys, servers, data. Not timed. */
  setup?: () => Promise<Ctx> | Ctx;
  /** One operation; timed. */
  op: (ctx: Ctx) => Promise<unknown> | unknown;
  teardown?: (ctx: Ctx) => Promise<void> | void;
  /** Operations kept in flight at once (default 1). */
  concurrency?: number;
  /** Warm-up before measuring (default a quarter of durationMs, at most 500 ms). */
  warmupMs?: number;
  /** How long to measure, after the warm-up (default 2000 ms). */
  durationMs?: number;
  /** Operations each op() call stands for (e.g. vouchers per bulk request). Default 1. */
  opsPerCall?: number;
  /** Extra figures to print with the result (e.g. server CPU ms per op). */
  extra?: (ctx: Ctx, measured: { calls: number; elapsedMs: number }) => Record<string, number>;
}
