/**
 * What a tenant principal may do. Every role but `tenant:admin` is required by some route (roles.spec.ts
 * checks): DI stations authenticate with their station keys (X-Station-Key), not a role, and the
 * rendezvous server's policy and registrations are the operator's, so no role stands for either.
 * Keys or tokens that still carry a removed role simply do not have it (unknown roles are dropped).
 * `tenant:admin` holds every other tenant role. Roles are granted to
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
