import { Injectable } from '@nestjs/common';
import { apiKeyView, type ApiKeyView } from '@ztp/auth';
import { ApiKeyEntity } from '@ztp/persistence';
import { DataSource } from 'typeorm';
import { keysetPage, type Page } from '../vouchers/http/cursor';

/** API keys as the REST lists page them: a tenant's (or, with null, the operator keys), newest first. */
@Injectable()
export class ApiKeyPages {
  constructor(private readonly dataSource: DataSource) {}

  list(tenantId: string | null, page: { cursor?: string; limit: number }): Promise<Page<ApiKeyView>> {
    const builder = this.dataSource.getRepository(ApiKeyEntity).createQueryBuilder('k');
    if (tenantId === null) builder.where('k.tenant_id IS NULL');
    else builder.where('k.tenant_id = :tenantId', { tenantId });
    return keysetPage(builder, 'k', page, apiKeyView);
  }
}
