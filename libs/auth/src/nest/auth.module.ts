import { Module } from '@nestjs/common';
import { ApiKeyService } from '../api-keys/api-key.service';
import { Authenticator } from '../authenticator';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { IdempotencyStore } from '../idempotency/idempotency-store';
import { JwtAuthenticator } from '../jwt/jwt-authenticator';
import { jwksFetchProvider, jwtKeyResolverProvider } from '../jwt/jwt-key-resolver';
import { AuthGuard } from './auth.guard';

/**
 * Import into every feature module whose controllers use the auth decorators or `@Idempotent()`.
 * Needs the platform's global APP_CONFIG, CLOCK and DataSource.
 */
@Module({
  providers: [
    ApiKeyService,
    JwtAuthenticator,
    Authenticator,
    AuthGuard,
    IdempotencyStore,
    IdempotencyInterceptor,
    jwksFetchProvider,
    jwtKeyResolverProvider,
  ],
  exports: [ApiKeyService, Authenticator, AuthGuard, IdempotencyStore, IdempotencyInterceptor],
})
export class AuthModule {}
