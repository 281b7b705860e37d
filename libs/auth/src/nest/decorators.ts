import {
  applyDecorators,
  createParamDecorator,
  type ExecutionContext,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { type Principal } from '../principal';
import { forbidden, unauthenticated } from '../problems';
import { type TenantRole } from '../roles';
import { ACCESS_RULE, type AccessRule, AuthGuard, type RequestWithPrincipal } from './auth.guard';

function guarded(rule: AccessRule) {
  return applyDecorators(
    SetMetadata(ACCESS_RULE, rule),
    UseGuards(AuthGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'No valid API key or token (RFC 7807 problem)' }),
    ApiForbiddenResponse({
      description: 'The credential lacks the role this route needs (RFC 7807 problem)',
    }),
  );
}

/** Any authenticated principal, tenant or operator. */
export const Authenticated = () => guarded({ roles: [], tenants: true, operators: true });

/** Tenant principals holding every listed role (`tenant:admin` holds all). Operators get 403. */
export const RequireRoles = (...roles: TenantRole[]) => guarded({ roles, tenants: true, operators: false });

/** Platform operators only. */
export const RequireOperator = () => guarded({ roles: [], tenants: false, operators: true });

/** Platform operators, or tenant principals holding every listed role. */
export const RequireRolesOrOperator = (...roles: TenantRole[]) =>
  guarded({ roles, tenants: true, operators: true });

function principalOf(context: ExecutionContext): Principal {
  const principal = context.switchToHttp().getRequest<RequestWithPrincipal>().principal;
  // Only reachable on a route without one of the guards above: a programming error, reported as 401.
  if (!principal) throw unauthenticated('this route has no authentication guard');
  return principal;
}

/** The authenticated principal (use on guarded routes). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  principalOf(context),
);

/** The tenant id of the authenticated tenant principal; 403 for an operator. */
export const CurrentTenantId = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const principal = principalOf(context);
  if (principal.kind !== 'tenant')
    throw forbidden('this route acts inside a tenant; use a tenant credential');
  return principal.tenantId;
});
