import { Injectable } from '@nestjs/common';
import { TenantEntity, tenantReadiness, tenantSettings, type TenantKind } from '@ztp/persistence';
import { isUuid, ProblemException } from '@ztp/platform';
import { DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import { notFound } from '@ztp/auth';
import { LedgerAudit } from '../audit/ledger-audit';
import { cursorTimestampSql, decodeCursor, type Page, pageOf } from '../vouchers/http/cursor';
import { applySettingsPatch, type TenantSettingsPatch } from './tenant-settings.schema';
import { tenantView, type TenantView } from './tenant-view';

const UNIQUE_VIOLATION = '23505';

export interface CreateTenantInput {
  kind: TenantKind;
  name: string;
  slug: string;
  settings?: TenantSettingsPatch;
}

/** Tenants: created and listed by operators; read and configured by themselves. */
@Injectable()
export class TenantService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: LedgerAudit,
  ) {}

  async create(input: CreateTenantInput, actor: string, manager?: EntityManager): Promise<TenantView> {
    const run = async (m: EntityManager) => {
      const tenant = await m.getRepository(TenantEntity).save({
        kind: input.kind,
        name: input.name,
        slug: input.slug,
        settings: applySettingsPatch({}, input.settings ?? {}) as Record<string, unknown>,
      });
      await this.audit.record(m, {
        tenantId: tenant.id,
        eventType: 'tenant.created',
        subject: `tenant:${tenant.id}`,
        actor,
        data: { kind: tenant.kind, name: tenant.name, slug: tenant.slug },
      });
      return tenantView(tenant);
    };
    try {
      return manager ? await run(manager) : await this.dataSource.transaction(run);
    } catch (err) {
      if (err instanceof QueryFailedError && (err.driverError as { code?: string }).code === UNIQUE_VIOLATION)
        throw new ProblemException(409, {
          type: 'https://ztp.dev/problems/slug-taken',
          title: 'Slug taken',
          detail: `a tenant with slug ${input.slug} already exists`,
        });
      throw err;
    }
  }

  async get(tenantId: string): Promise<TenantView> {
    const tenant = await this.load(this.dataSource.manager, tenantId);
    return { ...tenantView(tenant), warnings: await tenantReadiness(this.dataSource.manager, tenant.id) };
  }

  /** A tenant by id or slug, or undefined. */
  async find(
    reference: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<TenantEntity | undefined> {
    const repository = manager.getRepository(TenantEntity);
    const tenant = isUuid(reference)
      ? await repository.findOneBy({ id: reference })
      : await repository.findOneBy({ slug: reference });
    return tenant ?? undefined;
  }

  async list(options: { kind?: TenantKind; cursor?: string; limit: number }): Promise<Page<TenantView>> {
    const cursor = decodeCursor(options.cursor);
    const builder = this.dataSource
      .getRepository(TenantEntity)
      .createQueryBuilder('t')
      .addSelect(cursorTimestampSql('t.created_at'), 'cursor_ts')
      .orderBy('t.created_at', 'DESC')
      .addOrderBy('t.id', 'DESC')
      .limit(options.limit + 1);
    if (options.kind) builder.andWhere('t.kind = :kind', { kind: options.kind });
    if (cursor)
      builder.andWhere('(t.created_at, t.id) < (:ts::timestamptz, :id::uuid)', {
        ts: cursor.createdAt,
        id: cursor.id,
      });
    const { entities, raw } = await builder.getRawAndEntities<{ cursor_ts: string }>();
    const rows = entities.map((tenant, index) => ({ tenant, ts: raw[index]!.cursor_ts }));
    return pageOf(
      rows,
      options.limit,
      (row) => ({ createdAt: row.ts, id: row.tenant.id }),
      (row) => tenantView(row.tenant),
    );
  }

  async updateSettings(tenantId: string, patch: TenantSettingsPatch, actor: string): Promise<TenantView> {
    return this.dataSource.transaction(async (manager) => {
      const tenant = await this.load(manager, tenantId, true);
      const settings = applySettingsPatch(tenantSettings(tenant.settings), patch);
      tenant.settings = settings as Record<string, unknown>;
      await manager.getRepository(TenantEntity).save(tenant);
      await this.audit.record(manager, {
        tenantId: tenant.id,
        eventType: 'tenant.settings-updated',
        subject: `tenant:${tenant.id}`,
        actor,
        data: {
          changed: Object.keys(patch).filter((key) => patch[key as keyof TenantSettingsPatch] !== undefined),
        },
      });
      return tenantView(tenant);
    });
  }

  private async load(manager: EntityManager, tenantId: string, lock = false): Promise<TenantEntity> {
    const tenant = isUuid(tenantId)
      ? await manager.getRepository(TenantEntity).findOne({
          where: { id: tenantId },
          ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
        })
      : null;
    if (!tenant) throw notFound('tenant', tenantId);
    return tenant;
  }
}
