/** Counts hits per key in fixed time windows. */
export interface RateCounter {
  /** Counts one hit for `key` in the current window; returns the count so far and the ms left. */
  hit(key: string, windowMs: number, nowMs: number): Promise<{ count: number; resetInMs: number }>;
  /** Resolves when the store can count (at once for memory), or after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Beyond this many keys, keys of past windows are dropped on the next hit. */
const SWEEP_ABOVE_KEYS = 100_000;

/**
 * Fixed-window counters in this process: the embedded deployment (one process) and the fallback
 * without Redis. Each replica counts alone, so N replicas admit up to N times the limit.
 */
export class MemoryRateCounter implements RateCounter {
  private readonly windows = new Map<string, { window: number; count: number }>();

  async hit(key: string, windowMs: number, nowMs: number): Promise<{ count: number; resetInMs: number }> {
    const window = Math.floor(nowMs / windowMs);
    let entry = this.windows.get(key);
    if (!entry || entry.window !== window) {
      if (!entry && this.windows.size >= SWEEP_ABOVE_KEYS) this.sweep(window);
      entry = { window, count: 0 };
      this.windows.set(key, entry);
    }
    entry.count++;
    return { count: entry.count, resetInMs: (window + 1) * windowMs - nowMs };
  }

  async ready(): Promise<void> {
    // Always ready: the counts live in this process.
  }

  private sweep(current: number): void {
    for (const [key, entry] of this.windows) if (entry.window !== current) this.windows.delete(key);
  }

  async close(): Promise<void> {
    this.windows.clear();
  }
}
