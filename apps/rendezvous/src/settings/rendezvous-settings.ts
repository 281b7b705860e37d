import { type Provider } from '@nestjs/common';
import { type AppConfig } from '@ztp/config';
import { APP_CONFIG } from '@ztp/platform';
import { protocolTokenKey } from '../tokens/token-key';

/** The rendezvous server's configuration, resolved once (token key derived, defaults applied). */
export interface RendezvousSettings {
  readonly tokenKey: Uint8Array;
  readonly defaultPolicy: 'open' | 'closed';
  /**
   * Whether open mode may apply at all: not in production on a PostgreSQL server (open mode is a
   * convenience of the embedded demo and of tests, never a production setting).
   */
  readonly openModeAllowed: boolean;
  readonly rateLimit: {
    readonly perAddressPerMinute: number;
    readonly perGuidPerMinute: number;
    /** TO0 (owners' workers registering vouchers) per source address: a budget apart from devices'. */
    readonly to0PerAddressPerMinute: number;
  };
  readonly trustedProxies: readonly string[];
  readonly lookupCacheSeconds: number;
  /** REDIS_URL, when set: rate-limit counters shared by every replica. */
  readonly redisUrl: string | undefined;
  readonly queuePrefix: string;
}

export const RENDEZVOUS_SETTINGS = Symbol('RENDEZVOUS_SETTINGS');

export function rendezvousSettings(config: AppConfig): RendezvousSettings {
  return {
    tokenKey: protocolTokenKey(config),
    defaultPolicy: config.rendezvous.defaultPolicy,
    openModeAllowed: config.database.kind === 'embedded' || config.nodeEnv !== 'production',
    rateLimit: config.rendezvous.rateLimit,
    trustedProxies: config.rendezvous.trustedProxies,
    lookupCacheSeconds: config.rendezvous.lookupCacheSeconds,
    redisUrl: config.queue.kind === 'redis' ? config.queue.url : undefined,
    queuePrefix: config.queue.prefix,
  };
}

export const rendezvousSettingsProvider: Provider = {
  provide: RENDEZVOUS_SETTINGS,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => rendezvousSettings(config),
};
