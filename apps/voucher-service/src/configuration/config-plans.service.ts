import { Injectable } from '@nestjs/common';
import { notFound } from '@ztp/auth';
import {
  ConfigFileEntity,
  ConfigPlanEntity,
  type ConfigPlanContent,
  DeviceGroupEntity,
} from '@ztp/persistence';
import { DataSource, type EntityManager, In, QueryFailedError } from 'typeorm';
import { LedgerAudit } from '../audit/ledger-audit';
import { configurationProblem } from './configuration-problems';
import { OwnerTenants } from './owner-tenants';
import { type CreatePlanInput, type PlanSelectorInput, type UpdatePlanInput } from './plan-schema';
import { RenderTrigger } from './render-trigger';
import { isUuid } from '@ztp/platform';

export interface ConfigPlanView {
  id: string;
  name: string;
  selector: PlanSelectorInput;
  priority: number;
  content: ConfigPlanContent;
  revision: number;
  createdAt: string;
  updatedAt: string;
}

export function configPlanView(row: ConfigPlanEntity): ConfigPlanView {
  const selector: PlanSelectorInput =
    row.selectorKind === 'device'
      ? {
          kind: 'device',
          ...(row.deviceGuid ? { guid: row.deviceGuid } : {}),
          ...(row.deviceSerial ? { serial: row.deviceSerial } : {}),
        }
      : row.selectorKind === 'device-info'
        ? { kind: 'device-info', pattern: row.deviceInfoPattern! }
        : { kind: 'group', groupId: row.groupId! };
  return {
    id: row.id,
    name: row.name,
    selector,
    priority: row.priority,
    content: row.content,
    revision: row.revision,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const UNIQUE_VIOLATION = '23505';

function selectorColumns(selector: PlanSelectorInput) {
  return {
    selectorKind: selector.kind,
    deviceGuid: selector.kind === 'device' ? (selector.guid ?? null) : null,
    deviceSerial: selector.kind === 'device' ? (selector.serial ?? null) : null,
    deviceInfoPattern: selector.kind === 'device-info' ? selector.pattern : null,
    groupId: selector.kind === 'group' ? selector.groupId : null,
  };
}

/**
 * Configuration plans: what an owner's devices receive in TO2. Every change bumps the plan's
 * revision, marks the owner's waiting bundles stale and enqueues their re-render; references
 * (files, the group) must be the owner's own.
 */
@Injectable()
export class ConfigPlansService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly owners: OwnerTenants,
    private readonly audit: LedgerAudit,
    private readonly render: RenderTrigger,
  ) {}

  async create(tenantId: string, input: CreatePlanInput, actor: string): Promise<ConfigPlanEntity> {
    await this.owners.require(tenantId);
    return this.write(tenantId, actor, 'onboarding.plan-created', async (manager) => {
      await this.checkReferences(manager, tenantId, input.selector, input.content);
      return manager.getRepository(ConfigPlanEntity).save({
        ownerTenantId: tenantId,
        name: input.name,
        ...selectorColumns(input.selector),
        priority: input.priority,
        content: input.content,
        revision: 1,
      });
    });
  }

  async list(tenantId: string): Promise<ConfigPlanEntity[]> {
    await this.owners.require(tenantId);
    return this.dataSource
      .getRepository(ConfigPlanEntity)
      .find({ where: { ownerTenantId: tenantId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async get(tenantId: string, id: string): Promise<ConfigPlanEntity> {
    const row = isUuid(id)
      ? await this.dataSource.getRepository(ConfigPlanEntity).findOneBy({ id, ownerTenantId: tenantId })
      : null;
    if (!row) throw notFound('plan', id);
    return row;
  }

  async update(
    tenantId: string,
    id: string,
    input: UpdatePlanInput,
    actor: string,
  ): Promise<ConfigPlanEntity> {
    const row = await this.get(tenantId, id);
    return this.write(tenantId, actor, 'onboarding.plan-updated', async (manager) => {
      await this.checkReferences(manager, tenantId, input.selector, input.content);
      if (input.name !== undefined) row.name = input.name;
      if (input.selector !== undefined) Object.assign(row, selectorColumns(input.selector));
      if (input.priority !== undefined) row.priority = input.priority;
      if (input.content !== undefined) row.content = input.content;
      row.revision++;
      return manager.getRepository(ConfigPlanEntity).save(row);
    });
  }

  async delete(tenantId: string, id: string, actor: string): Promise<void> {
    const row = await this.get(tenantId, id);
    await this.write(tenantId, actor, 'onboarding.plan-deleted', async (manager) => {
      await manager.getRepository(ConfigPlanEntity).delete({ id: row.id });
      return row;
    });
  }

  private async checkReferences(
    manager: EntityManager,
    tenantId: string,
    selector: PlanSelectorInput | undefined,
    content: ConfigPlanContent | undefined,
  ): Promise<void> {
    if (selector?.kind === 'group') {
      const group = await manager
        .getRepository(DeviceGroupEntity)
        .findOneBy({ id: selector.groupId, ownerTenantId: tenantId });
      if (!group)
        throw configurationProblem(
          400,
          'unknown-group',
          'Unknown group',
          `no device group ${selector.groupId}`,
        );
    }
    const fileIds = [...new Set((content?.files ?? []).map((file) => file.fileId))];
    if (fileIds.length > 0) {
      const found = await manager
        .getRepository(ConfigFileEntity)
        .count({ where: { id: In(fileIds), ownerTenantId: tenantId } });
      if (found !== fileIds.length)
        throw configurationProblem(
          400,
          'unknown-file',
          'Unknown file',
          'the plan names a file the owner does not have',
        );
    }
  }

  private async write(
    tenantId: string,
    actor: string,
    eventType: string,
    change: (manager: EntityManager) => Promise<ConfigPlanEntity>,
  ): Promise<ConfigPlanEntity> {
    let row: ConfigPlanEntity;
    try {
      row = await this.dataSource.transaction(async (manager) => {
        const changed = await change(manager);
        await this.render.markStale(manager, tenantId);
        await this.audit.record(manager, {
          tenantId,
          eventType,
          subject: `config-plan:${changed.id}`,
          actor,
          data: { name: changed.name, revision: changed.revision, selector: changed.selectorKind },
        });
        return changed;
      });
    } catch (err) {
      if (err instanceof QueryFailedError && (err.driverError as { code?: string }).code === UNIQUE_VIOLATION)
        throw configurationProblem(
          409,
          'plan-name-taken',
          'Name taken',
          'the owner already has a plan of that name',
        );
      throw err;
    }
    await this.render.enqueue(tenantId);
    return row;
  }
}
