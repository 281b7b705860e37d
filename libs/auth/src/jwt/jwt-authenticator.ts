import { Inject, Injectable } from '@nestjs/common';
import { errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { type AppConfig } from '@ztp/config';
import { TenantEntity } from '@ztp/persistence';
import { APP_CONFIG } from '@ztp/platform';
import { DataSource } from 'typeorm';
import { type Principal } from '../principal';
import { isTenantRole } from '../roles';
import { JWT_KEY_RESOLVER } from './jwt-key-resolver';

/** Why a bearer token was refused; the guard turns it into a 401 problem. */
export class JwtRejectedError extends Error {
  override readonly name = 'JwtRejectedError';
}

/** Asymmetric algorithms only: a shared-secret (HS*) token could be minted by anyone holding it. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * OIDC access tokens: verified with jose against AUTH_OIDC_ISSUER, AUTH_OIDC_AUDIENCE and the keys of
 * AUTH_OIDC_JWKS_URL, then mapped to a principal. A token whose roles claim holds
 * AUTH_OIDC_OPERATOR_ROLE is an operator; any other names its tenant (id or slug) in
 * AUTH_OIDC_TENANT_CLAIM and gets the known tenant roles of its roles claim.
 */
@Injectable()
export class JwtAuthenticator {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JWT_KEY_RESOLVER) private readonly keys: JWTVerifyGetKey | undefined,
    private readonly dataSource: DataSource,
  ) {}

  get enabled(): boolean {
    return this.config.auth.oidc !== undefined && this.keys !== undefined;
  }

  async authenticate(token: string): Promise<Principal> {
    const oidc = this.config.auth.oidc;
    if (!oidc || !this.keys)
      throw new JwtRejectedError('bearer tokens are not accepted: no OIDC issuer is configured');
    const payload = await this.verify(token, oidc.issuer, oidc.audience);
    const subject = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : undefined;
    if (!subject) throw new JwtRejectedError('the token has no subject (sub)');
    const roles = claimList(payload[oidc.rolesClaim]);
    const actor = `jwt:${subject}`;
    if (roles.includes(oidc.operatorRole)) return { kind: 'operator', actor, credential: 'jwt' };
    const tenantClaim = payload[oidc.tenantClaim];
    if (typeof tenantClaim !== 'string' || tenantClaim === '')
      throw new JwtRejectedError(`the token names no tenant (claim ${oidc.tenantClaim})`);
    const tenantId = await this.tenantIdOf(tenantClaim);
    if (!tenantId) throw new JwtRejectedError(`the token's tenant ${tenantClaim} does not exist`);
    return { kind: 'tenant', tenantId, roles: roles.filter(isTenantRole), actor, credential: 'jwt' };
  }

  private async verify(token: string, issuer: string, audience: string): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(token, this.keys!, { issuer, audience, algorithms: ALGORITHMS });
      return payload;
    } catch (err) {
      if (err instanceof joseErrors.JWTClaimValidationFailed || err instanceof joseErrors.JWTExpired)
        throw new JwtRejectedError(`invalid bearer token: ${err.code} (${err.claim}: ${err.reason})`);
      if (err instanceof joseErrors.JOSEError)
        throw new JwtRejectedError(`invalid bearer token: ${err.code}`);
      if (err instanceof TypeError) throw new JwtRejectedError('invalid bearer token: malformed');
      throw err;
    }
  }

  private async tenantIdOf(claim: string): Promise<string | undefined> {
    const repository = this.dataSource.getRepository(TenantEntity);
    const tenant = UUID.test(claim)
      ? await repository.findOne({ where: { id: claim.toLowerCase() }, select: { id: true } })
      : await repository.findOne({ where: { slug: claim }, select: { id: true } });
    return tenant?.id;
  }
}

/** A list claim as an array of strings, or as one space-separated string (like OAuth `scope`). */
function claimList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}
