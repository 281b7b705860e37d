import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { CLOCK, type Clock } from '@ztp/platform';
import { RENDEZVOUS_SETTINGS, type RendezvousSettings } from '../settings/rendezvous-settings';
import { MemoryRateCounter, type RateCounter } from './rate-counter';
import { RedisRateCounter } from './redis-rate-counter';

const WINDOW_MS = 60_000;
/** How long start-up waits for Redis before serving with limits failing open. */
const COUNTER_READY_TIMEOUT_MS = 5_000;
/** At most one warning per this long while the shared counter store fails. */
const FAILURE_LOG_INTERVAL_MS = 30_000;

const SCOPE_WORDS = {
  address: 'this source address',
  'to0-address': 'TO0 from this source address',
  guid: 'this GUID',
} as const;

/** A client went over a rate limit; answered with an FDO Error message, without a per-request log. */
export class RateLimitExceeded extends Error {
  override readonly name = 'RateLimitExceeded';
  constructor(
    readonly scope: 'address' | 'to0-address' | 'guid',
    readonly retryAfterSeconds: number,
  ) {
    super(`rate limit exceeded for ${SCOPE_WORDS[scope]}; retry in ${retryAfterSeconds} s`);
  }
}

/**
 * Per-source-address and per-GUID rate limits (RENDEZVOUS_RATE_LIMIT_*), per minute, in fixed
 * windows: in Redis when REDIS_URL is set (all replicas share the counts), in process memory
 * otherwise. When Redis fails, requests are let through (a rendezvous outage would be worse than
 * a minute without limits) and a warning is logged.
 */
@Injectable()
export class RateLimits implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RendezvousRateLimits');
  private readonly counter: RateCounter;
  private lastFailureLogMs = 0;

  constructor(
    @Inject(RENDEZVOUS_SETTINGS) private readonly settings: RendezvousSettings,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    const limited =
      settings.rateLimit.perAddressPerMinute > 0 ||
      settings.rateLimit.perGuidPerMinute > 0 ||
      settings.rateLimit.to0PerAddressPerMinute > 0;
    this.counter =
      limited && settings.redisUrl
        ? new RedisRateCounter(settings.redisUrl, settings.queuePrefix)
        : new MemoryRateCounter();
  }

  /** Waits (a bounded time) for the counter store, so limits hold from the first request. */
  async onModuleInit(): Promise<void> {
    await this.counter.ready(COUNTER_READY_TIMEOUT_MS);
  }

  /**
   * Counts a message from `address`; throws RateLimitExceeded past the limit. TO0 (an owner's worker
   * registering its vouchers, each OwnerSign signed by the owner key) is counted apart from TO1 (first
   * boots): a worker registering a thousand vouchers a minute is not a device flood, and its volume
   * must not use up the budget of the devices behind the same address (or the other way round).
   */
  async checkAddress(address: string, protocol: 'to0' | 'to1' = 'to1'): Promise<void> {
    if (protocol === 'to0') {
      await this.check('to0-address', address, this.settings.rateLimit.to0PerAddressPerMinute);
    } else {
      await this.check('address', address, this.settings.rateLimit.perAddressPerMinute);
    }
  }

  /** Counts a message about `guidHex`; throws RateLimitExceeded past the limit. */
  async checkGuid(guidHex: string): Promise<void> {
    await this.check('guid', guidHex, this.settings.rateLimit.perGuidPerMinute);
  }

  private async check(scope: RateLimitExceeded['scope'], key: string, limit: number): Promise<void> {
    if (limit === 0) return;
    const nowMs = this.clock.now().getTime();
    let hit: { count: number; resetInMs: number };
    try {
      hit = await this.counter.hit(`${scope}:${key}`, WINDOW_MS, nowMs);
    } catch (err) {
      if (nowMs - this.lastFailureLogMs >= FAILURE_LOG_INTERVAL_MS) {
        this.lastFailureLogMs = nowMs;
        this.logger.warn(`rate limits not enforced: counter store failed (${(err as Error).message})`);
      }
      return;
    }
    if (hit.count > limit) throw new RateLimitExceeded(scope, Math.max(1, Math.ceil(hit.resetInMs / 1000)));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.counter.close();
  }
}
