import { type EntityManager } from 'typeorm';
import { TenantEntity } from '@ztp/persistence';
import { ManufacturingError } from './manufacturing-error';

/**
 * The manufacturer tenant `tenantId`, or a typed refusal. With `lock`, the row is locked for the
 * transaction (settings updates and the audit chain serialise on it).
 */
export async function loadManufacturer(
  manager: EntityManager,
  tenantId: string,
  options: { lock?: boolean } = {},
): Promise<TenantEntity> {
  if (!UUID.test(tenantId)) throw new ManufacturingError('tenant-not-found', `no tenant ${tenantId}`);
  const tenant = await manager.getRepository(TenantEntity).findOne({
    where: { id: tenantId },
    ...(options.lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
  });
  if (!tenant) throw new ManufacturingError('tenant-not-found', `no tenant ${tenantId}`);
  if (tenant.kind !== 'manufacturer')
    throw new ManufacturingError(
      'not-a-manufacturer',
      `tenant ${tenantId} is a ${tenant.kind}, not a manufacturer`,
    );
  return tenant;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
