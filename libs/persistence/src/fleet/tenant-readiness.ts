import { type EntityManager } from 'typeorm';

/** Something a tenant lacks that will stop its devices from onboarding, in words it can act on. */
export interface ReadinessWarning {
  code: 'no-onboarding-address' | 'no-owner-key' | 'no-manufacturer-pki' | 'no-rendezvous';
  message: string;
}

/**
 * What an owner tenant needs before a device it holds can onboard: an owner onboarding address
 * (what TO0 tells the device; without one TO0 does not run and TO1 finds nothing) and an active
 * owner key (TO0 and TO2 are signed with it; TO2's per-device Owner2Keys do not count). A
 * manufacturer needs its PKI (DI issues device certificates from it) and rendezvous directives
 * (written into each device). Other kinds need nothing here.
 */
export async function tenantReadiness(manager: EntityManager, tenantId: string): Promise<ReadinessWarning[]> {
  const rows: {
    kind: string;
    addresses: number;
    rendezvous: number;
    owner_keys: number;
    pki: boolean;
  }[] = await manager.query(
    `SELECT t.kind,
            CASE WHEN jsonb_typeof(t.settings -> 'ownerOnboarding') = 'array'
                 THEN jsonb_array_length(t.settings -> 'ownerOnboarding') ELSE 0 END AS addresses,
            CASE WHEN jsonb_typeof(t.settings -> 'rendezvous') = 'array'
                 THEN jsonb_array_length(t.settings -> 'rendezvous') ELSE 0 END AS rendezvous,
            (SELECT count(*)::int FROM owner_key k
              WHERE k.tenant_id = t.id AND k.retired_at IS NULL AND k.custody_key_id NOT LIKE 'owner2:%') AS owner_keys,
            EXISTS (SELECT 1 FROM manufacturer_pki p WHERE p.tenant_id = t.id) AS pki
       FROM tenant t WHERE t.id = $1`,
    [tenantId],
  );
  const row = rows[0];
  if (!row) return [];
  const warnings: ReadinessWarning[] = [];
  if (row.kind === 'owner') {
    if (row.addresses === 0)
      warnings.push({
        code: 'no-onboarding-address',
        message:
          'no owner onboarding address (settings.ownerOnboarding): TO0 does not run, so devices find no owner at TO1',
      });
    if (row.owner_keys === 0)
      warnings.push({
        code: 'no-owner-key',
        message:
          'no active owner key: vouchers cannot be extended to this tenant and TO0/TO2 cannot be signed',
      });
  }
  if (row.kind === 'manufacturer') {
    if (!row.pki)
      warnings.push({
        code: 'no-manufacturer-pki',
        message: 'no manufacturer PKI (POST /v1/manufacturers/{id}/pki): DI cannot issue device certificates',
      });
    if (row.rendezvous === 0)
      warnings.push({
        code: 'no-rendezvous',
        message: 'no rendezvous directives (settings.rendezvous): devices would be given nowhere to run TO1',
      });
  }
  return warnings;
}
