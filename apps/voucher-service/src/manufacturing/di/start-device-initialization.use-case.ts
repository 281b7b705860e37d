import { X509Certificate } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, IsNull, LessThan, QueryFailedError } from 'typeorm';
import { type AppConfig } from '@ztp/config';
import {
  DeviceEntity,
  DiSessionEntity,
  ManufacturerPkiEntity,
  TenantEntity,
  tenantSettings,
  VoucherEntity,
} from '@ztp/persistence';
import { CertificateIssuer } from '@ztp/pki';
import { APP_CONFIG, CLOCK, type Clock, FdoProtocolError } from '@ztp/platform';
import {
  computeFdoHash,
  type DeviceMfgInfo,
  encode,
  encodeOvHeader,
  ErrorCode,
  guidToHex,
  newGuid,
  type OvHeader,
  type RandomSource,
  rendezvousInfoToCbor,
} from '@ztp/protocol';
import { RANDOM_SOURCE } from '../manufacturing.tokens';
import { isCleanLabel } from '../text';
import { effectiveRendezvousDirectives, rendezvousInfoFor } from '../rendezvous/rendezvous-directives';
import { type DiClient, StationAuthenticator } from '../stations/station-authenticator';
import { checkedDeviceCsr } from './device-csr';
import { diHashAlgFor } from '@ztp/fdo-client';
import { manufacturerPublicKey, voucherKeyForDevice } from './manufacturer-key';
import { newSessionToken, sessionTokenKey } from './session-token';

export interface StartDeviceInitializationResult {
  /** The DI session token (sent as `Authorization: Bearer`, echoed by the device with message 12). */
  token: string;
  /** The OVHeader for DI.SetCredentials, exact bytes in `ovHeader.bytes`. */
  ovHeader: OvHeader;
}

const UNIQUE_VIOLATION = '23505';

/**
 * DI.AppStart (10) -> DI.SetCredentials (11). Authenticates the station, checks the device's CSR,
 * issues the device certificate from the manufacturing intermediate CA, and builds the OVHeader: a
 * new GUID, the manufacturer's RendezvousInfo, the DeviceInfo, the manufacturer (voucher-signing)
 * key and the hash of the chain [device, intermediate, root]. The header and chain wait in a
 * durable DI session, keyed by the token, for DI.SetHMAC. Nothing else is stored yet.
 *
 * A serial that already went through DI for this manufacturer is refused (101). A new AppStart for
 * a serial whose DI did not finish replaces that unfinished session.
 */
@Injectable()
export class StartDeviceInitialization {
  constructor(
    private readonly dataSource: DataSource,
    private readonly stations: StationAuthenticator,
    private readonly issuer: CertificateIssuer,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RANDOM_SOURCE) private readonly random: RandomSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute(input: {
    mfgInfo: DeviceMfgInfo;
    client: DiClient;
  }): Promise<StartDeviceInitializationResult> {
    const station = await this.stations.authenticate(input.client);
    const { mfgInfo } = input;
    const serial = mfgInfo.serialNumber;
    if (!isCleanLabel(serial, 64))
      throw FdoProtocolError.invalid('the serial number must be 1..64 characters without control characters');
    const csr = await checkedDeviceCsr(mfgInfo);

    const manager = this.dataSource.manager;
    const tenant = await manager.getRepository(TenantEntity).findOneByOrFail({ id: station.tenantId });
    const pki = await manager.getRepository(ManufacturerPkiEntity).findOneBy({ tenantId: tenant.id });
    if (!pki)
      throw new FdoProtocolError(ErrorCode.InternalServerError, 'the manufacturer has no PKI set up for DI');
    const voucherKey = await voucherKeyForDevice(manager, pki, csr.publicKey);
    if (voucherKey.retiredAt)
      throw new FdoProtocolError(ErrorCode.InternalServerError, 'the manufacturer voucher key is retired');
    // A serial goes through DI once; again only after its device was decommissioned and the
    // manufacturer refurbished it (an explicit, audited act), and then as a new device and GUID.
    const earlier = await manager
      .getRepository(DeviceEntity)
      .findBy({ manufacturerTenantId: tenant.id, serialNumber: serial });
    if (earlier.some((device) => device.lifecycle !== 'decommissioned'))
      throw FdoProtocolError.invalid(`serial number ${serial} has already gone through DI`);
    if (earlier.some((device) => device.refurbishedAt === null))
      throw FdoProtocolError.invalid(
        `serial number ${serial} belongs to a decommissioned device; DI again needs the manufacturer to refurbish it first`,
      );

    const leaf = await this.issuer.issueFromCsr(
      { keyId: pki.intermediateCaKeyId, certificate: pki.intermediateCaCertificate },
      csr,
      { kind: 'device-identity', deviceSerial: serial, validityDays: pki.deviceCertValidityDays },
    );
    const chain = [
      leaf,
      new Uint8Array(pki.intermediateCaCertificate),
      new Uint8Array(pki.rootCaCertificate),
    ];
    const intermediateKey = new X509Certificate(pki.intermediateCaCertificate).publicKey;
    const { directives } = effectiveRendezvousDirectives(
      tenantSettings(tenant.settings),
      this.config.apps.rendezvous.publicUrl,
    );
    const guid = newGuid(this.random);
    const ovHeader = encodeOvHeader({
      guid,
      rendezvousInfo: rendezvousInfoToCbor(rendezvousInfoFor(directives)),
      deviceInfo: mfgInfo.deviceInfo,
      manufacturerKey: manufacturerPublicKey(voucherKey, pki.manufacturerKeyEncoding, mfgInfo.keyEncoding),
      certChainHash: computeFdoHash(diHashAlgFor(csr.publicKey, intermediateKey), chain),
    });

    const token = newSessionToken(this.random);
    const now = this.clock.now();
    try {
      await this.dataSource.transaction(async (tx) => {
        const sessions = tx.getRepository(DiSessionEntity);
        await sessions.delete({ expiresAt: LessThan(now) });
        await sessions.delete({
          manufacturerTenantId: tenant.id,
          serialNumber: serial,
          completedAt: IsNull(),
        });
        const guidHex = guidToHex(guid);
        const guidTaken =
          (await tx.getRepository(DeviceEntity).existsBy({ guid: guidHex })) ||
          (await tx.getRepository(VoucherEntity).existsBy({ guid: guidHex }));
        if (guidTaken) throw new FdoProtocolError(ErrorCode.InternalServerError, 'GUID collision, retry DI');
        await sessions.insert({
          tokenSha256: sessionTokenKey(token),
          manufacturerTenantId: tenant.id,
          stationId: station.stationId,
          productionLine: station.productionLine,
          serialNumber: serial,
          deviceInfo: mfgInfo.deviceInfo,
          guid: guidHex,
          ovHeader: Buffer.from(ovHeader.bytes),
          deviceCertChain: Buffer.from(encode(chain)),
          voucherKeyId: voucherKey.id,
          expiresAt: new Date(now.getTime() + this.config.manufacturing.diSessionTtlSeconds * 1000),
          completedAt: null,
        });
      });
    } catch (err) {
      if (err instanceof QueryFailedError && (err.driverError as { code?: string }).code === UNIQUE_VIOLATION)
        throw FdoProtocolError.invalid(`a DI for serial number ${serial} is already in progress`);
      throw err;
    }
    return { token, ovHeader };
  }
}
