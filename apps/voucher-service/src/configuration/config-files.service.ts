import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { notFound } from '@ztp/auth';
import { ConfigFileEntity } from '@ztp/persistence';
import { DataSource } from 'typeorm';
import { LedgerAudit } from '../audit/ledger-audit';
import { configurationProblem } from './configuration-problems';
import { OwnerTenants } from './owner-tenants';
import { isUuid } from '@ztp/platform';

export interface ConfigFileView {
  id: string;
  name: string;
  size: number;
  sha384: string;
  createdAt: string;
}

export const configFileView = (row: ConfigFileEntity): ConfigFileView => ({
  id: row.id,
  name: row.name,
  size: row.size,
  sha384: Buffer.from(row.sha384).toString('hex'),
  createdAt: row.createdAt.toISOString(),
});

/** Files an owner delivers with fdo.download. Immutable; deleting one a plan still names is refused. */
@Injectable()
export class ConfigFilesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly owners: OwnerTenants,
    private readonly audit: LedgerAudit,
  ) {}

  async create(tenantId: string, name: string, content: Buffer, actor: string): Promise<ConfigFileEntity> {
    await this.owners.require(tenantId);
    return this.dataSource.transaction(async (manager) => {
      const row = await manager.getRepository(ConfigFileEntity).save({
        ownerTenantId: tenantId,
        name,
        size: content.length,
        sha384: createHash('sha384').update(content).digest(),
        content,
      });
      await this.audit.record(manager, {
        tenantId,
        eventType: 'onboarding.file-added',
        subject: `config-file:${row.id}`,
        actor,
        data: { name, size: row.size, sha384: configFileView(row).sha384 },
      });
      return row;
    });
  }

  async list(tenantId: string): Promise<ConfigFileEntity[]> {
    await this.owners.require(tenantId);
    return this.dataSource.getRepository(ConfigFileEntity).find({
      select: { id: true, name: true, size: true, sha384: true, createdAt: true, ownerTenantId: true },
      where: { ownerTenantId: tenantId },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  async get(tenantId: string, id: string, withContent = false): Promise<ConfigFileEntity> {
    const row = isUuid(id)
      ? await this.dataSource.getRepository(ConfigFileEntity).findOne({
          select: {
            id: true,
            name: true,
            size: true,
            sha384: true,
            createdAt: true,
            ownerTenantId: true,
            content: withContent,
          },
          where: { id, ownerTenantId: tenantId },
        })
      : null;
    if (!row) throw notFound('file', id);
    return row;
  }

  async delete(tenantId: string, id: string, actor: string): Promise<void> {
    const row = await this.get(tenantId, id);
    await this.dataSource.transaction(async (manager) => {
      const users: { name: string }[] = await manager.query(
        `SELECT name FROM config_plan WHERE owner_tenant_id = $1 AND content->'files' @> $2::jsonb`,
        [tenantId, JSON.stringify([{ fileId: id }])],
      );
      if (users.length > 0)
        throw configurationProblem(
          409,
          'file-in-use',
          'File in use',
          `plans ${users.map((u) => u.name).join(', ')} deliver this file`,
        );
      await manager.getRepository(ConfigFileEntity).delete({ id: row.id });
      await this.audit.record(manager, {
        tenantId,
        eventType: 'onboarding.file-removed',
        subject: `config-file:${row.id}`,
        actor,
        data: { name: row.name },
      });
    });
  }
}
