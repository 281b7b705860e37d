import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ManufacturerPkiEntity, OwnerKeyEntity } from '@ztp/persistence';
import { loadManufacturer } from '../load-manufacturer';
import { ManufacturingError } from '../manufacturing-error';
import { manufacturerPkiView, type ManufacturerPkiView } from './manufacturer-pki-view';

/** The manufacturer's CA certificates and voucher-signing public key. */
@Injectable()
export class GetManufacturerPki {
  constructor(private readonly dataSource: DataSource) {}

  async execute(input: { tenantId: string }): Promise<ManufacturerPkiView> {
    const tenant = await loadManufacturer(this.dataSource.manager, input.tenantId);
    const pki = await this.dataSource.getRepository(ManufacturerPkiEntity).findOneBy({ tenantId: tenant.id });
    if (!pki) throw new ManufacturingError('pki-missing', `tenant ${tenant.id} has no manufacturer PKI yet`);
    const voucherKey = await this.dataSource
      .getRepository(OwnerKeyEntity)
      .findOneByOrFail({ id: pki.voucherKeyId });
    return manufacturerPkiView(pki, voucherKey);
  }
}
