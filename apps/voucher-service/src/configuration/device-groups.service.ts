import { Injectable } from '@nestjs/common';
import { notFound } from '@ztp/auth';
import { DeviceGroupEntity } from '@ztp/persistence';
import { DataSource, QueryFailedError } from 'typeorm';
import { LedgerAudit } from '../audit/ledger-audit';
import { configurationProblem } from './configuration-problems';
import { OwnerTenants } from './owner-tenants';
import { RenderTrigger } from './render-trigger';
import { isUuid } from '@ztp/platform';

export interface DeviceGroupView {
  id: string;
  name: string;
  members: string[];
  /** Re-onboarding policy for the members; null: the owner's. */
  reonboarding: DeviceGroupEntity['reonboarding'];
  createdAt: string;
  updatedAt: string;
}

export const deviceGroupView = (row: DeviceGroupEntity): DeviceGroupView => ({
  id: row.id,
  name: row.name,
  members: row.members,
  reonboarding: row.reonboarding ?? null,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

const UNIQUE_VIOLATION = '23505';

/** Explicit device groups (members `guid:<hex>` or `serial:<serial>`), targets of group plans. */
@Injectable()
export class DeviceGroupsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly owners: OwnerTenants,
    private readonly audit: LedgerAudit,
    private readonly render: RenderTrigger,
  ) {}

  async create(
    tenantId: string,
    input: { name: string; members: string[]; reonboarding?: DeviceGroupEntity['reonboarding'] },
    actor: string,
  ): Promise<DeviceGroupEntity> {
    await this.owners.require(tenantId);
    const row = await this.write(tenantId, actor, 'onboarding.group-created', async (manager) =>
      manager.getRepository(DeviceGroupEntity).save({
        ownerTenantId: tenantId,
        name: input.name,
        members: input.members,
        reonboarding: input.reonboarding ?? null,
      }),
    );
    return row;
  }

  async list(tenantId: string): Promise<DeviceGroupEntity[]> {
    await this.owners.require(tenantId);
    return this.dataSource
      .getRepository(DeviceGroupEntity)
      .find({ where: { ownerTenantId: tenantId }, order: { name: 'ASC' } });
  }

  async get(tenantId: string, id: string): Promise<DeviceGroupEntity> {
    const row = isUuid(id)
      ? await this.dataSource.getRepository(DeviceGroupEntity).findOneBy({ id, ownerTenantId: tenantId })
      : null;
    if (!row) throw notFound('device group', id);
    return row;
  }

  async update(
    tenantId: string,
    id: string,
    input: { name?: string; members?: string[]; reonboarding?: DeviceGroupEntity['reonboarding'] },
    actor: string,
  ): Promise<DeviceGroupEntity> {
    const row = await this.get(tenantId, id);
    return this.write(tenantId, actor, 'onboarding.group-updated', async (manager) => {
      if (input.name !== undefined) row.name = input.name;
      if (input.members !== undefined) row.members = input.members;
      if (input.reonboarding !== undefined) row.reonboarding = input.reonboarding;
      return manager.getRepository(DeviceGroupEntity).save(row);
    });
  }

  async delete(tenantId: string, id: string, actor: string): Promise<void> {
    const row = await this.get(tenantId, id);
    await this.write(tenantId, actor, 'onboarding.group-deleted', async (manager) => {
      // Its plans go with it (ON DELETE CASCADE): their devices fall back to other plans.
      await manager.getRepository(DeviceGroupEntity).delete({ id: row.id });
      return row;
    });
  }

  private async write(
    tenantId: string,
    actor: string,
    eventType: string,
    change: (manager: import('typeorm').EntityManager) => Promise<DeviceGroupEntity>,
  ): Promise<DeviceGroupEntity> {
    let row: DeviceGroupEntity;
    try {
      row = await this.dataSource.transaction(async (manager) => {
        const changed = await change(manager);
        await this.render.markStale(manager, tenantId);
        await this.audit.record(manager, {
          tenantId,
          eventType,
          subject: `device-group:${changed.id}`,
          actor,
          data: {
            name: changed.name,
            members: changed.members.length,
            reonboarding: changed.reonboarding ?? null,
          },
        });
        return changed;
      });
    } catch (err) {
      if (err instanceof QueryFailedError && (err.driverError as { code?: string }).code === UNIQUE_VIOLATION)
        throw configurationProblem(
          409,
          'group-name-taken',
          'Name taken',
          'the owner already has a group of that name',
        );
      throw err;
    }
    await this.render.enqueue(tenantId);
    return row;
  }
}
