import {
  type ReadinessWarning,
  type TenantEntity,
  tenantSettings,
  type TenantSettings,
  type TenantKind,
} from '@ztp/persistence';

export interface TenantView {
  id: string;
  kind: TenantKind;
  name: string;
  slug: string;
  settings: TenantSettings;
  createdAt: string;
  /** GET /v1/tenants/{id} only: what the tenant lacks that will stop its devices from onboarding. */
  warnings?: ReadinessWarning[];
}

export function tenantView(tenant: TenantEntity): TenantView {
  return {
    id: tenant.id,
    kind: tenant.kind,
    name: tenant.name,
    slug: tenant.slug,
    settings: tenantSettings(tenant.settings),
    createdAt: tenant.createdAt.toISOString(),
  };
}
