import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditLog, ManufacturingStationEntity } from '@ztp/persistence';
import { CLOCK, type Clock } from '@ztp/platform';
import { loadManufacturer } from '../load-manufacturer';
import { ManufacturingError } from '../manufacturing-error';
import { stationView, type StationView } from './station-view';

/**
 * Revokes a station: from now on none of its credentials opens DI (a DI it had started cannot
 * finish either). Idempotent; audit event `manufacturing.station-revoked` on the first call.
 */
@Injectable()
export class RevokeStation {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(input: { tenantId: string; stationId: string; actor: string }): Promise<StationView> {
    return this.dataSource.transaction(async (manager) => {
      const tenant = await loadManufacturer(manager, input.tenantId, { lock: true });
      const repository = manager.getRepository(ManufacturingStationEntity);
      const station = /^[0-9a-f-]{36}$/i.test(input.stationId)
        ? await repository.findOneBy({ id: input.stationId, tenantId: tenant.id })
        : null;
      if (!station) throw new ManufacturingError('station-not-found', `no station ${input.stationId}`);
      if (station.revokedAt) return stationView(station);
      station.revokedAt = this.clock.now();
      await repository.update({ id: station.id }, { revokedAt: station.revokedAt });
      await this.audit.append(manager, {
        tenantId: tenant.id,
        eventType: 'manufacturing.station-revoked',
        subject: `station:${station.id}`,
        actor: input.actor,
        data: { name: station.name },
      });
      return stationView(station);
    });
  }
}
