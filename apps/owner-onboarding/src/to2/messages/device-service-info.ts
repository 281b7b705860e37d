import { Injectable } from '@nestjs/common';
import { FdoProtocolError } from '@ztp/platform';
import { decodeTo2DeviceServiceInfo, encodeTo2OwnerServiceInfo, ErrorCode, guidToHex } from '@ztp/protocol';
import { OwnerCertificateAuthority } from '../../certificates/owner-certificate-authority';
import { BundleDelivery } from '../../service-info/bundle-delivery';
import { DeviceUploads } from '../../service-info/device-uploads';
import { DeliveryFailure, exchangeServiceInfo } from '../../service-info/service-info-engine';
import { To2SessionStore } from '../session/session-store';
import { DeliveryOutcomes } from './delivery-outcomes';
import { openRequest, sessionTunnel } from './tunnel';

/**
 * TO2.DeviceServiceInfo (68) -> TO2.OwnerServiceInfo (69): one round of the ServiceInfo exchange
 * (devmod, then the device's configuration bundle), its progress saved with the session.
 */
@Injectable()
export class DeviceServiceInfo {
  constructor(
    private readonly sessions: To2SessionStore,
    private readonly bundles: BundleDelivery,
    private readonly ca: OwnerCertificateAuthority,
    private readonly uploads: DeviceUploads,
    private readonly outcomes: DeliveryOutcomes,
  ) {}

  async handle(token: string | undefined, body: Uint8Array): Promise<Uint8Array> {
    const session = await this.sessions.load(token, ['service-info'], 'TO2.DeviceServiceInfo');
    const tunnel = sessionTunnel(session.state);
    const message = decodeTo2DeviceServiceInfo(openRequest(tunnel, body, 'TO2.DeviceServiceInfo'));
    const state = structuredClone(session.state);
    const progress = state.serviceInfo;
    if (!progress || !state.setup)
      throw new FdoProtocolError(ErrorCode.InternalServerError, 'internal error');
    let reply;
    try {
      const program = await this.bundles.program(session.deviceId, progress.bundleRevision);
      reply = await exchangeServiceInfo(progress, message, {
        program,
        context: {
          ownerTenantId: session.ownerTenantId,
          deviceId: session.deviceId,
          guidHex: guidToHex(state.setup.guid),
        },
        ca: this.ca,
        uploads: this.uploads,
        stepMessages: (index, step, mtu) =>
          this.bundles.stepMessages(session.deviceId, progress.bundleRevision, index, step, mtu),
      });
    } catch (err) {
      if (err instanceof DeliveryFailure)
        throw await this.outcomes.failed(session, err.message, progress.results);
      throw err;
    }
    await this.sessions.save(session, 'service-info', state);
    return tunnel.encrypt(encodeTo2OwnerServiceInfo(reply));
  }
}
