import { readdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BenchCase } from './types';

/** Runs benchmarks and prints `{"bench","ops_per_s","p50_ms","p99_ms",...}` per line. */

const here = dirname(fileURLToPath(import.meta.url));
const prefix = process.argv[2] ?? '';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

const round = (n: number, digits = 3) => Number(n.toFixed(digits));

async function measure(bench: BenchCase, ctx: unknown) {
  const concurrency = bench.concurrency ?? 1;
  const warmupUntil = performance.now() + (bench.warmupMs ?? Math.min(500, (bench.durationMs ?? 2000) / 4));
  const runUntil = (deadline: number, latencies?: number[]) =>
    Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          const started = performance.now();
          await bench.op(ctx);
          latencies?.push(performance.now() - started);
        }
      }),
    );
  await runUntil(warmupUntil);
  const stopProfiler = await startProfiler();
  const latencies: number[] = [];
  const started = performance.now();
  await runUntil(started + (bench.durationMs ?? 2000), latencies);
  const elapsedMs = performance.now() - started;
  await stopProfiler();
  latencies.sort((a, b) => a - b);
  return { calls: latencies.length, elapsedMs, latencies };
}

/** BENCH_CPU_PROF_CLIENT=<file>: a V8 CPU profile of this process over the timed run. */
async function startProfiler(): Promise<() => Promise<void>> {
  const file = process.env['BENCH_CPU_PROF_CLIENT'];
  if (!file) return async () => undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

async function main() {
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  let ran = 0;
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { benchmarks: BenchCase[] };
    for (const bench of mod.benchmarks) {
      // A prefix names benchmarks, or a whole file by its area (`est` runs est.bench.ts, ocsp.respond included).
      if (!bench.name.startsWith(prefix) && file !== `${prefix}.bench.ts`) continue;
      const ctx = await bench.setup?.();
      try {
        const { calls, elapsedMs, latencies } = await measure(bench, ctx);
        const perCall = bench.opsPerCall ?? 1;
        const line = {
          bench: bench.name,
          ops_per_s: round((calls * perCall * 1000) / elapsedMs, 1),
          p50_ms: round(percentile(latencies, 50)),
          p99_ms: round(percentile(latencies, 99)),
          ...(bench.concurrency ? { concurrency: bench.concurrency } : {}),
          ...(bench.extra?.(ctx, { calls, elapsedMs }) ?? {}),
        };
        console.log(JSON.stringify(line));
        ran++;
      } finally {
        await bench.teardown?.(ctx);
      }
    }
  }
  if (ran === 0) {
    console.error(`no benchmark matches prefix "${prefix}"`);
    process.exitCode = 1;
  }
}

await main();
