import { Module } from '@nestjs/common';
import { CLOCK, type Clock } from '@ztp/platform';
import { PolicyStore } from './policy/policy.store';
import { RateLimits } from './rate-limit/rate-limits';
import { RegistrationLookupCache } from './registrations/registration-cache';
import { RegistrationRepository } from './registrations/registration.repository';
import {
  RENDEZVOUS_SETTINGS,
  rendezvousSettingsProvider,
  type RendezvousSettings,
} from './settings/rendezvous-settings';
import { ProtocolTokens } from './tokens/protocol-token';

/** What the rendezvous protocol handlers and the admin API share: settings, stores, caches, limits. */
@Module({
  providers: [
    rendezvousSettingsProvider,
    {
      provide: ProtocolTokens,
      inject: [RENDEZVOUS_SETTINGS, CLOCK],
      useFactory: (settings: RendezvousSettings, clock: Clock) =>
        new ProtocolTokens(settings.tokenKey, () => clock.now()),
    },
    {
      provide: RegistrationLookupCache,
      inject: [RENDEZVOUS_SETTINGS],
      useFactory: (settings: RendezvousSettings) =>
        new RegistrationLookupCache(settings.lookupCacheSeconds * 1000),
    },
    RegistrationRepository,
    PolicyStore,
    RateLimits,
  ],
  exports: [
    RENDEZVOUS_SETTINGS,
    ProtocolTokens,
    RegistrationLookupCache,
    RegistrationRepository,
    PolicyStore,
    RateLimits,
  ],
})
export class RendezvousCoreModule {}
