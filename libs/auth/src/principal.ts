import { rolesInclude, type TenantRole } from './roles';

/** How a principal proved who it is. */
export type CredentialKind = 'api-key' | 'jwt' | 'bootstrap-key';

/** Someone acting for one tenant: sees and touches that tenant's data only. */
export interface TenantPrincipal {
  readonly kind: 'tenant';
  readonly tenantId: string;
  readonly roles: readonly TenantRole[];
  /** Stable id for audit logs: `api-key:<id>` or `jwt:<issuer subject>`. */
  readonly actor: string;
  readonly credential: CredentialKind;
}

/** A platform operator: manages tenants; does not act inside a tenant's ledger. */
export interface OperatorPrincipal {
  readonly kind: 'operator';
  /** `api-key:<id>`, `jwt:<subject>` or `operator:bootstrap` (AUTH_OPERATOR_API_KEY_SHA256). */
  readonly actor: string;
  readonly credential: CredentialKind;
}

export type Principal = TenantPrincipal | OperatorPrincipal;

export function isOperator(principal: Principal): principal is OperatorPrincipal {
  return principal.kind === 'operator';
}

export function hasRole(principal: Principal, role: TenantRole): boolean {
  return principal.kind === 'tenant' && rolesInclude(principal.roles, role);
}
