import { describe, expect, it } from 'vitest';
import { formatSummary, percentile, summarizeRun } from './run-summary';

describe('run summary', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3], 0)).toBe(1);
    expect(() => percentile([], 50)).toThrow(RangeError);
  });

  it('counts successes, groups failures by error, and times only successes', () => {
    const summary = summarizeRun(
      'di',
      [
        { ok: true, ms: 30 },
        { ok: false, error: 'FDO 1: refused' },
        { ok: true, ms: 10 },
        { ok: false, error: 'FDO 1: refused' },
        { ok: false, error: 'transport: down' },
        { ok: true, ms: 20 },
      ],
      2000,
    );
    expect(summary).toEqual({
      flow: 'di',
      devices: 6,
      succeeded: 3,
      failed: 3,
      failures: [
        { error: 'FDO 1: refused', count: 2 },
        { error: 'transport: down', count: 1 },
      ],
      latencyMs: { p50: 20, p95: 30, p99: 30, max: 30 },
      elapsedMs: 2000,
      throughputPerSec: 1.5,
    });
    expect(formatSummary(summary)).toContain('3/6 devices succeeded');
    expect(formatSummary(summary)).toContain('2 x FDO 1: refused');
    expect(summarizeRun('di', [{ ok: false, error: 'x' }], 5).latencyMs).toBeNull();
  });
});
