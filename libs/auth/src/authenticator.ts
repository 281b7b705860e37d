import { Injectable } from '@nestjs/common';
import { ApiKeyService } from './api-keys/api-key.service';
import { looksLikeApiKey } from './api-keys/api-key-format';
import { JwtAuthenticator, JwtRejectedError } from './jwt/jwt-authenticator';
import { type Principal } from './principal';
import { unauthenticated } from './problems';

type Headers = Record<string, string | string[] | undefined>;

/**
 * Finds the principal of a request: an API key (`Authorization: Bearer ztp_...` or `X-API-Key`),
 * or an OIDC JWT (`Authorization: Bearer <jwt>`). Throws a 401 problem otherwise.
 */
@Injectable()
export class Authenticator {
  constructor(
    private readonly apiKeys: ApiKeyService,
    private readonly jwt: JwtAuthenticator,
  ) {}

  async authenticate(headers: Headers): Promise<Principal> {
    const credential = credentialOf(headers);
    if (!credential)
      throw unauthenticated('send an API key or an OIDC token as `Authorization: Bearer <credential>`');
    if (looksLikeApiKey(credential)) {
      const principal = await this.apiKeys.authenticate(credential);
      if (!principal) throw unauthenticated('the API key is unknown, expired or revoked');
      return principal;
    }
    try {
      return await this.jwt.authenticate(credential);
    } catch (err) {
      if (err instanceof JwtRejectedError) throw unauthenticated(err.message);
      throw err;
    }
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function credentialOf(headers: Headers): string | undefined {
  const apiKey = single(headers['x-api-key'])?.trim();
  if (apiKey) return apiKey;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(single(headers['authorization']) ?? '');
  return match?.[1];
}
