import { describe, expect, it } from 'vitest';
import { renewalDelaySeconds, retryDelaySeconds } from './to0-backoff';

describe('retryDelaySeconds', () => {
  it('doubles per failure from the base up to the cap', () => {
    const exact = () => 0.5;
    expect([1, 2, 3, 4, 5, 10].map((n) => retryDelaySeconds(n, 30, 600, exact))).toEqual([
      30, 60, 120, 240, 480, 600,
    ]);
  });

  it('spreads retries by +-20 %', () => {
    expect(retryDelaySeconds(1, 100, 3600, () => 0)).toBe(80);
    expect(retryDelaySeconds(1, 100, 3600, () => 0.999999)).toBe(120);
    expect(retryDelaySeconds(1000, 100, 3600, () => 0.5)).toBe(3600);
  });
});

describe('renewalDelaySeconds', () => {
  it('renews at 80 % of the granted time, never sooner than the minimum', () => {
    expect(renewalDelaySeconds(86_400, 30)).toBe(69_120);
    expect(renewalDelaySeconds(10, 30)).toBe(30);
  });
});
