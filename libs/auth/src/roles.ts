/**
 * What a tenant principal may do. `tenant:admin` holds every other tenant role. Roles are granted to
 * API keys at creation and read from a JWT claim (AUTH_OIDC_ROLES_CLAIM).
 */
export const TENANT_ROLES = [
  /** Everything within the tenant, including its API keys, settings and owner keys. */
  'tenant:admin',
  /** Create and retire owner keys. */
  'keys:admin',
  /** List and read vouchers, devices and transfers. */
  'vouchers:read',
  /** Import, delete, transfer, accept and reject vouchers. */
  'vouchers:write',
  /** Read the audit log and verify its chain. */
  'audit:read',
  /** Manage webhook endpoints. */
  'webhooks:admin',
  /** Manage assignment rules. */
  'rules:admin',
  /** Manage the manufacturer PKI and DI stations. */
  'manufacturing:admin',
  /** A DI station: run device initialization for the tenant. */
  'manufacturing:station',
  /** Manage rendezvous (TO0) settings and registrations. */
  'rendezvous:admin',
  /** Manage owner onboarding (TO2) configuration plans. */
  'onboarding:admin',
] as const;

export type TenantRole = (typeof TENANT_ROLES)[number];

export function isTenantRole(value: unknown): value is TenantRole {
  return typeof value === 'string' && (TENANT_ROLES as readonly string[]).includes(value);
}

/** Whether `granted` includes `required` (directly or through `tenant:admin`). */
export function rolesInclude(granted: readonly string[], required: TenantRole): boolean {
  return granted.includes(required) || granted.includes('tenant:admin');
}
