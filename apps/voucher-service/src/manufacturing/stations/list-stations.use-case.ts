import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ManufacturingStationEntity } from '@ztp/persistence';
import { loadManufacturer } from '../load-manufacturer';
import { ManufacturingError } from '../manufacturing-error';
import { stationView, type StationView } from './station-view';

/** A manufacturer's stations (revoked ones included, marked), oldest first; or one of them. */
@Injectable()
export class ListStations {
  constructor(private readonly dataSource: DataSource) {}

  async execute(input: { tenantId: string; stationId?: string }): Promise<StationView[]> {
    const tenant = await loadManufacturer(this.dataSource.manager, input.tenantId);
    const repository = this.dataSource.getRepository(ManufacturingStationEntity);
    if (input.stationId !== undefined) {
      const station = UUID.test(input.stationId)
        ? await repository.findOneBy({ id: input.stationId, tenantId: tenant.id })
        : null;
      if (!station) throw new ManufacturingError('station-not-found', `no station ${input.stationId}`);
      return [stationView(station)];
    }
    const stations = await repository.find({
      where: { tenantId: tenant.id },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    return stations.map(stationView);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
