import { Injectable } from '@nestjs/common';
import { DiSessionEntity } from '@ztp/persistence';
import { type FdoFailure } from '@ztp/platform';
import { decodeDeviceMfgInfo, decodeDiAppStart, MessageType } from '@ztp/protocol';
import { DeviceFailureReporter } from '@ztp/queue';
import { DataSource } from 'typeorm';
import { StationAuthenticator } from '../stations/station-authenticator';
import { sessionTokenKey } from './session-token';

/**
 * Refused DI messages become events of the manufacturer (by the device's serial number: DI stores
 * no device until it succeeds) and `device.di_failed` webhooks. AppStart's manufacturer is the
 * authenticated station's (a refusal of the station itself names no tenant and is not recorded);
 * SetHMAC's is its DI session's.
 */
@Injectable()
export class DiFailureRecorder {
  constructor(
    private readonly reporter: DeviceFailureReporter,
    private readonly stations: StationAuthenticator,
    private readonly dataSource: DataSource,
  ) {}

  readonly record = (failure: FdoFailure): void => {
    void this.recordNow(failure).catch(() => undefined);
  };

  private async recordNow(failure: FdoFailure): Promise<void> {
    const { request } = failure;
    let target: { tenantId: string; serialNumber: string; guid: string | null } | undefined;
    if (request.type === MessageType.DIAppStart) {
      let serialNumber: string;
      try {
        const { deviceMfgInfo } = decodeDiAppStart(request.body);
        if (!deviceMfgInfo) return;
        serialNumber = decodeDeviceMfgInfo(deviceMfgInfo).serialNumber;
      } catch {
        return; // names no device
      }
      const station = await this.stations.authenticate(request).catch(() => undefined);
      if (station) target = { tenantId: station.tenantId, serialNumber, guid: null };
    } else if (request.type === MessageType.DISetHMAC && request.token) {
      const session = await this.dataSource
        .getRepository(DiSessionEntity)
        .findOneBy({ tokenSha256: sessionTokenKey(request.token) });
      if (session)
        target = {
          tenantId: session.manufacturerTenantId,
          serialNumber: session.serialNumber,
          guid: session.guid,
        };
    }
    if (!target) return;
    this.reporter.reportSoon({
      target: { manufacturing: target },
      tenantId: target.tenantId,
      protocol: 'fdo',
      eventType: 'di.failed',
      result: 'failed',
      messageType: request.type,
      errorCode: failure.code,
      reason: failure.reason,
      webhook: 'device.di_failed',
    });
  }
}
