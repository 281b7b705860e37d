import { Injectable } from '@nestjs/common';
import { TenantEntity } from '@ztp/persistence';
import { DataSource } from 'typeorm';
import { notAnOwner } from './configuration-problems';

/** Onboarding configuration exists for owner tenants only. */
@Injectable()
export class OwnerTenants {
  constructor(private readonly dataSource: DataSource) {}

  async require(tenantId: string): Promise<TenantEntity> {
    const tenant = await this.dataSource.getRepository(TenantEntity).findOneBy({ id: tenantId });
    if (tenant?.kind !== 'owner') throw notAnOwner();
    return tenant;
  }
}
