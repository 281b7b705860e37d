import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import {
  AuditLog,
  DeviceEntity,
  DiSessionEntity,
  OwnerKeyEntity,
  TenantEntity,
  VoucherEntity,
} from '@ztp/persistence';
import { CLOCK, type Clock, FdoProtocolError } from '@ztp/platform';
import { asArray, asBytes, createVoucher, decode, decodeOvHeader, type FdoDigest } from '@ztp/protocol';
import { type DiClient, StationAuthenticator } from '../stations/station-authenticator';
import {
  DEVICE_INITIALIZED_HOOKS,
  type DeviceInitializedEvent,
  type DeviceInitializedHook,
} from './device-initialized-hooks';
import { sessionTokenKey } from './session-token';

const UNIQUE_VIOLATION = '23505';

/**
 * DI.SetHMAC (12) -> DI.Done (13). Finds the DI session by its token (locked, so a concurrent
 * replay waits and then sees it complete), builds the voucher with the device's HMAC and no
 * entries, and stores, in one transaction: the device (lifecycle manufactured), the voucher (active,
 * held by the manufacturer), the audit event `device.initialized`, whatever the
 * DEVICE_INITIALIZED_HOOKS do, and the session marked complete. Any failure stores nothing.
 *
 * Refused with FDO error 1: no token, an unknown, expired or already completed session (a replayed
 * SetHMAC), or a station other than the one that started the session. With 101: a serial or GUID
 * that went through DI meanwhile (the unique indexes decide races).
 */
@Injectable()
export class CompleteDeviceInitialization {
  private readonly hooks: readonly DeviceInitializedHook[];

  constructor(
    private readonly dataSource: DataSource,
    private readonly stations: StationAuthenticator,
    private readonly audit: AuditLog,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(DEVICE_INITIALIZED_HOOKS) hooks: readonly DeviceInitializedHook[] | null,
  ) {
    this.hooks = hooks ?? [];
  }

  async execute(input: {
    token: string | undefined;
    headerHmac: FdoDigest;
    client: DiClient;
  }): Promise<DeviceInitializedEvent> {
    if (!input.token)
      throw FdoProtocolError.badToken('DI.SetHMAC needs the session token DI.AppStart returned');
    const station = await this.stations.authenticate(input.client);
    const tokenSha256 = sessionTokenKey(input.token);
    try {
      return await this.dataSource.transaction(async (manager) => {
        // The audit append below locks the tenant row FOR UPDATE; the device and voucher inserts take
        // FOR KEY SHARE on it through their foreign keys. Taking the row lock first makes concurrent
        // completions for one manufacturer queue up here instead of deadlocking.
        await manager
          .getRepository(TenantEntity)
          .findOne({ where: { id: station.tenantId }, lock: { mode: 'pessimistic_write' } });
        const now = this.clock.now();
        const sessions = manager.getRepository(DiSessionEntity);
        const session = await sessions.findOne({
          where: { tokenSha256 },
          lock: { mode: 'pessimistic_write' },
        });
        if (!session) throw FdoProtocolError.badToken('unknown or expired DI session');
        if (session.completedAt)
          throw FdoProtocolError.badToken('this DI session is already complete (DI.SetHMAC replayed)');
        if (session.expiresAt.getTime() <= now.getTime())
          throw FdoProtocolError.badToken('the DI session has expired; start DI again');
        if (session.stationId !== station.stationId)
          throw FdoProtocolError.badToken('the DI session was started by another station');

        const voucher = createVoucher({
          header: decodeOvHeader(new Uint8Array(session.ovHeader)),
          headerHmac: input.headerHmac,
          deviceCertChain: asArray(decode(new Uint8Array(session.deviceCertChain)), 'device chain').map(
            (der) => asBytes(der, 'device certificate'),
          ),
        });
        const voucherKey = await manager
          .getRepository(OwnerKeyEntity)
          .findOneByOrFail({ id: session.voucherKeyId });
        const device = await manager.getRepository(DeviceEntity).save({
          manufacturerTenantId: session.manufacturerTenantId,
          serialNumber: session.serialNumber,
          deviceInfo: session.deviceInfo,
          guid: session.guid,
          originalGuid: session.guid,
          lifecycle: 'manufactured',
        });
        const stored = await manager.getRepository(VoucherEntity).save({
          deviceId: device.id,
          guid: session.guid,
          cbor: Buffer.from(voucher.bytes),
          numEntries: 0,
          ownerKeySha256: voucherKey.publicKeySha256,
          holderTenantId: session.manufacturerTenantId,
          status: 'active',
          replacesVoucherId: null,
          deletedAt: null,
        });
        const event: DeviceInitializedEvent = {
          voucherId: stored.id,
          deviceId: device.id,
          guid: session.guid,
          manufacturerTenantId: session.manufacturerTenantId,
          stationId: session.stationId,
          productionLine: session.productionLine,
          serialNumber: session.serialNumber,
          deviceInfo: session.deviceInfo,
        };
        await this.audit.append(manager, {
          tenantId: session.manufacturerTenantId,
          eventType: 'device.initialized',
          subject: `device:${session.guid}`,
          actor: `station:${session.stationId}`,
          data: {
            deviceId: device.id,
            voucherId: stored.id,
            serialNumber: session.serialNumber,
            deviceInfo: session.deviceInfo,
            productionLine: session.productionLine,
            stationAuth: station.method,
            manufacturerKeySha256: voucherKey.publicKeySha256,
          },
        });
        for (const hook of this.hooks) await hook(manager, event);
        await sessions.update({ tokenSha256 }, { completedAt: now });
        return event;
      });
    } catch (err) {
      if (
        err instanceof QueryFailedError &&
        (err.driverError as { code?: string }).code === UNIQUE_VIOLATION
      ) {
        const constraint = (err.driverError as { constraint?: string }).constraint;
        throw FdoProtocolError.invalid(
          constraint === 'device_manufacturer_serial'
            ? 'this serial number has already gone through DI'
            : 'this GUID is already in use',
        );
      }
      throw err;
    }
  }
}
