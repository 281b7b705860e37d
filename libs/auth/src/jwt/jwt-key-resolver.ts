import { type Provider } from '@nestjs/common';
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import { type AppConfig } from '@ztp/config';
import { APP_CONFIG } from '@ztp/platform';

/** The keys JWTs are verified with (a jose `JWTVerifyGetKey`); undefined when OIDC is off. */
export const JWT_KEY_RESOLVER = Symbol('JWT_KEY_RESOLVER');

/** The fetch used to download the JWKS (the outbound HTTP port; tests may replace it). */
export const JWKS_FETCH = Symbol('JWKS_FETCH');

export type JwksFetch = typeof fetch;

export const jwksFetchProvider: Provider = {
  provide: JWKS_FETCH,
  useValue: (...args: Parameters<typeof fetch>) => fetch(...args),
};

/**
 * The configured issuer's JWKS, fetched on first use, cached, and fetched again when a token names
 * a key id it does not know (key rotation), at most every 30 s.
 */
export const jwtKeyResolverProvider: Provider = {
  provide: JWT_KEY_RESOLVER,
  inject: [APP_CONFIG, JWKS_FETCH],
  useFactory: (config: AppConfig | undefined, jwksFetch: JwksFetch): JWTVerifyGetKey | undefined => {
    const oidc = config?.auth.oidc;
    if (!oidc) return undefined;
    return createRemoteJWKSet(new URL(oidc.jwksUrl), {
      timeoutDuration: 5000,
      cooldownDuration: 30_000,
      [customFetch]: jwksFetch,
    });
  },
};
