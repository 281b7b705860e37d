import { type Principal } from './principal';
import { forbidden, notFound } from './problems';

/** The tenant a principal acts for; 403 for operators, who act inside no tenant. */
export function tenantIdOf(principal: Principal): string {
  if (principal.kind !== 'tenant')
    throw forbidden('this action is taken inside a tenant; use a tenant credential');
  return principal.tenantId;
}

/**
 * Whether a principal may see a tenant's resources: its own tenant, or any tenant for operators
 * (on the operator routes that allow them).
 */
export function canSeeTenant(principal: Principal, tenantId: string): boolean {
  return principal.kind === 'operator' || principal.tenantId === tenantId;
}

/**
 * `row` when it exists and belongs to `tenantId`; otherwise a 404 problem, the same whether the
 * resource is missing or another tenant's, so ids leak nothing.
 */
export function ownedOr404<T extends { tenantId: string | null }>(
  row: T | null | undefined,
  tenantId: string,
  what: string,
  id: string,
): T {
  if (!row || row.tenantId !== tenantId) throw notFound(what, id);
  return row;
}

/** The same 404 for a tenant the principal may not see as for a missing one. */
export function assertTenantVisible(principal: Principal, tenantId: string): void {
  if (!canSeeTenant(principal, tenantId)) throw notFound('tenant', tenantId);
}
