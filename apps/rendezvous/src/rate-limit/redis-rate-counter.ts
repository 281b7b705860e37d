import { Redis } from 'ioredis';
import { type RateCounter } from './rate-counter';

/**
 * Fixed-window counters in Redis, shared by every replica: INCR of a key named after the window,
 * which expires with it. One round trip (pipelined INCR + PEXPIRE) per hit. Commands fail at once
 * while Redis is unreachable (no offline queue) so the caller can fail open.
 */
export class RedisRateCounter implements RateCounter {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
    // Reported through failed hits; an unhandled 'error' event would crash the process.
    this.redis.on('error', () => undefined);
  }

  /**
   * Resolves once the connection is ready, or after `timeoutMs` (then hits fail open until Redis
   * answers). Called at start-up, so a replica enforces limits from its first request.
   */
  async ready(timeoutMs: number): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.redis.once('ready', done);
    });
  }

  async hit(key: string, windowMs: number, nowMs: number): Promise<{ count: number; resetInMs: number }> {
    const window = Math.floor(nowMs / windowMs);
    const redisKey = `${this.prefix}:rv-rate:${key}:${window}`;
    const results = await this.redis.multi().incr(redisKey).pexpire(redisKey, windowMs).exec();
    const [incrError, count] = results?.[0] ?? [new Error('no reply from Redis'), 0];
    if (incrError) throw incrError;
    return { count: Number(count), resetInMs: (window + 1) * windowMs - nowMs };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
