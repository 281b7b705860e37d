import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Authenticator } from '../authenticator';
import { hasRole, type Principal } from '../principal';
import { forbidden } from '../problems';
import { type TenantRole } from '../roles';

/** Who may call a route (set by the decorators in decorators.ts). */
export interface AccessRule {
  /** Tenant principals need every one of these roles (none: any tenant principal). */
  readonly roles: readonly TenantRole[];
  readonly tenants: boolean;
  readonly operators: boolean;
}

export const ACCESS_RULE = Symbol('ACCESS_RULE');

export interface RequestWithPrincipal {
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
}

interface ResponseWithHeaders {
  setHeader(name: string, value: string): void;
}

/**
 * Authenticates the request (401 problem otherwise, with `WWW-Authenticate: Bearer`), checks the
 * route's access rule (403 problem), and leaves the principal on `request.principal`.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<RequestWithPrincipal>();
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [
      context.getHandler(),
      context.getClass(),
    ]) ?? { roles: [], tenants: true, operators: true };
    let principal: Principal;
    try {
      principal = await this.authenticator.authenticate(request.headers);
    } catch (err) {
      http.getResponse<ResponseWithHeaders>().setHeader('WWW-Authenticate', 'Bearer realm="ztp"');
      throw err;
    }
    request.principal = principal;
    if (principal.kind === 'operator') {
      if (!rule.operators)
        throw forbidden('platform operators do not act inside a tenant; use a tenant credential');
      return true;
    }
    if (!rule.tenants) throw forbidden('this route is for platform operators');
    const missing = rule.roles.filter((role) => !hasRole(principal, role));
    if (missing.length > 0) throw forbidden(`this route needs the role(s) ${missing.join(', ')}`);
    return true;
  }
}
