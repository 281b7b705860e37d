import { Injectable } from '@nestjs/common';
import { notFound } from '@ztp/auth';
import { AssignmentRuleEntity, OwnerKeyEntity } from '@ztp/persistence';
import { DataSource, IsNull } from 'typeorm';
import { z } from 'zod';
import { LedgerAudit } from '../audit/ledger-audit';
import { TenantService } from '../tenants/tenant.service';
import { isUniqueViolation, ledgerProblem } from '../vouchers/ledger-problems';
import { isUuid } from '@ztp/platform';

export const ruleSchema = z.strictObject({
  name: z.string().min(1).max(100),
  productionLine: z
    .string()
    .min(1)
    .max(200)
    .nullable()
    .optional()
    .describe('DI vouchers from this production line only'),
  deviceInfoPattern: z
    .string()
    .min(1)
    .max(200)
    .nullable()
    .optional()
    .describe('Glob over DeviceInfo (* and ?); unset matches every device'),
  targetTenant: z.string().min(1).max(100).describe('Recipient tenant: id or slug'),
  targetOwnerKeyId: z
    .uuid()
    .nullable()
    .optional()
    .describe("Recipient's owner key; default its key of the voucher's key type"),
  priority: z.number().int().min(0).max(1_000_000).default(100).describe('Lower first'),
  enabled: z.boolean().default(true),
});

export const rulePatchSchema = ruleSchema.partial().omit({ name: true });

export interface AssignmentRuleView {
  id: string;
  name: string;
  productionLine: string | null;
  deviceInfoPattern: string | null;
  targetTenantId: string;
  targetOwnerKeyId: string | null;
  priority: number;
  enabled: boolean;
  createdBy: string;
  createdAt: string;
}

export function ruleView(row: AssignmentRuleEntity): AssignmentRuleView {
  return {
    id: row.id,
    name: row.name,
    productionLine: row.productionLine,
    deviceInfoPattern: row.deviceInfoPattern,
    targetTenantId: row.targetTenantId,
    targetOwnerKeyId: row.targetOwnerKeyId,
    priority: row.priority,
    enabled: row.enabled,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
  };
}

/** A tenant's assignment rules (what it hands on automatically, and to whom). */
@Injectable()
export class AssignmentRuleService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tenants: TenantService,
    private readonly audit: LedgerAudit,
  ) {}

  async create(
    tenantId: string,
    input: z.output<typeof ruleSchema>,
    actor: string,
  ): Promise<AssignmentRuleView> {
    const target = await this.target(tenantId, input.targetTenant, input.targetOwnerKeyId ?? null);
    try {
      return await this.dataSource.transaction(async (manager) => {
        const row = await manager.getRepository(AssignmentRuleEntity).save({
          tenantId,
          name: input.name,
          productionLine: input.productionLine ?? null,
          deviceInfoPattern: input.deviceInfoPattern ?? null,
          targetTenantId: target,
          targetOwnerKeyId: input.targetOwnerKeyId ?? null,
          priority: input.priority,
          enabled: input.enabled,
          createdBy: actor,
        });
        await this.audit.record(manager, {
          tenantId,
          eventType: 'assignment-rule.created',
          subject: `assignment-rule:${row.id}`,
          actor,
          data: { ...ruleView(row) },
        });
        return ruleView(row);
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw ledgerProblem(
          409,
          'rule-name-taken',
          'Name taken',
          `the tenant already has a rule named ${input.name}`,
        );
      throw err;
    }
  }

  async list(tenantId: string): Promise<AssignmentRuleView[]> {
    const rows = await this.dataSource
      .getRepository(AssignmentRuleEntity)
      .find({ where: { tenantId }, order: { priority: 'ASC', createdAt: 'ASC' } });
    return rows.map(ruleView);
  }

  async get(tenantId: string, id: string): Promise<AssignmentRuleView> {
    return ruleView(await this.load(tenantId, id));
  }

  async update(
    tenantId: string,
    id: string,
    patch: z.output<typeof rulePatchSchema>,
    actor: string,
  ): Promise<AssignmentRuleView> {
    const row = await this.load(tenantId, id);
    if (patch.targetTenant !== undefined || patch.targetOwnerKeyId !== undefined) {
      row.targetTenantId = await this.target(
        tenantId,
        patch.targetTenant ?? row.targetTenantId,
        patch.targetOwnerKeyId !== undefined ? patch.targetOwnerKeyId : row.targetOwnerKeyId,
      );
      if (patch.targetOwnerKeyId !== undefined) row.targetOwnerKeyId = patch.targetOwnerKeyId;
    }
    if (patch.productionLine !== undefined) row.productionLine = patch.productionLine;
    if (patch.deviceInfoPattern !== undefined) row.deviceInfoPattern = patch.deviceInfoPattern;
    if (patch.priority !== undefined) row.priority = patch.priority;
    if (patch.enabled !== undefined) row.enabled = patch.enabled;
    return this.dataSource.transaction(async (manager) => {
      await manager.getRepository(AssignmentRuleEntity).save(row);
      await this.audit.record(manager, {
        tenantId,
        eventType: 'assignment-rule.updated',
        subject: `assignment-rule:${row.id}`,
        actor,
        data: { ...ruleView(row) },
      });
      return ruleView(row);
    });
  }

  async delete(tenantId: string, id: string, actor: string): Promise<void> {
    const row = await this.load(tenantId, id);
    await this.dataSource.transaction(async (manager) => {
      await manager.getRepository(AssignmentRuleEntity).delete({ id: row.id });
      await this.audit.record(manager, {
        tenantId,
        eventType: 'assignment-rule.deleted',
        subject: `assignment-rule:${row.id}`,
        actor,
        data: { name: row.name },
      });
    });
  }

  /** The recipient's id; refuses unknown tenants, the tenant itself, and keys not the recipient's. */
  private async target(tenantId: string, reference: string, ownerKeyId: string | null): Promise<string> {
    const tenant = await this.tenants.find(reference);
    if (!tenant) throw ledgerProblem(422, 'unknown-recipient', 'Unknown recipient', `no tenant ${reference}`);
    if (tenant.id === tenantId)
      throw ledgerProblem(
        422,
        'invalid-recipient',
        'Invalid recipient',
        'a rule cannot assign to its own tenant',
      );
    if (ownerKeyId) {
      const key = await this.dataSource
        .getRepository(OwnerKeyEntity)
        .findOneBy({ id: ownerKeyId, tenantId: tenant.id, retiredAt: IsNull() });
      if (!key)
        throw ledgerProblem(
          422,
          'no-recipient-key',
          'Unknown owner key',
          `the recipient has no active owner key ${ownerKeyId}`,
        );
    }
    return tenant.id;
  }

  private async load(tenantId: string, id: string): Promise<AssignmentRuleEntity> {
    const row = isUuid(id)
      ? await this.dataSource.getRepository(AssignmentRuleEntity).findOneBy({ id, tenantId })
      : null;
    if (!row) throw notFound('assignment rule', id);
    return row;
  }
}
