import { Injectable } from '@nestjs/common';
import { FdoProtocolError } from '@ztp/platform';
import {
  DEFAULT_MAX_SERVICE_INFO_SIZE,
  decodeFdoHmac,
  decodeTo2DeviceServiceInfoReady,
  encodeTo2OwnerServiceInfoReady,
  ErrorCode,
} from '@ztp/protocol';
import { BundleDelivery } from '../../service-info/bundle-delivery';
import { DeliveryFailure } from '../../service-info/service-info-engine';
import { newServiceInfoProgress } from '../../service-info/service-info-progress';
import { EtmKeySizesLedger } from '../owner/etm-key-sizes';
import { type To2SessionState } from '../session/session-state';
import { type To2Session, To2SessionStore } from '../session/session-store';
import { DeliveryOutcomes } from './delivery-outcomes';
import { openRequest, sessionTunnel } from './tunnel';

/** Smallest ServiceInfo size a device may ask for: below it no FSIM message fits. */
export const MIN_SERVICE_INFO_SIZE = 256;

/**
 * TO2.DeviceServiceInfoReady (66) -> TO2.OwnerServiceInfoReady (67): takes the replacement HMAC (a
 * null one means the device accepts credential reuse, refused with error 102 unless the owner
 * offered it), the device's ServiceInfo size, and claims the device's configuration bundle.
 */
@Injectable()
export class ServiceInfoReady {
  constructor(
    private readonly sessions: To2SessionStore,
    private readonly bundles: BundleDelivery,
    private readonly outcomes: DeliveryOutcomes,
    private readonly etm: EtmKeySizesLedger,
  ) {}

  handle(token: string | undefined, body: Uint8Array): Promise<Uint8Array> {
    return this.sessions.run(token, ['setup'], 'TO2.DeviceServiceInfoReady', (session) =>
      this.ready(session, body),
    );
  }

  private async ready(session: To2Session, body: Uint8Array): Promise<Uint8Array> {
    const tunnel = sessionTunnel(session.state);
    const opened = openRequest(tunnel, body, 'TO2.DeviceServiceInfoReady');
    // It authenticated: the device speaks this session's key sizes (see EtmKeySizesLedger).
    if (session.state.etmKeySizes) await this.etm.confirmed(session.deviceId, session.state.etmKeySizes);
    const ready = decodeTo2DeviceServiceInfoReady(opened);
    const { setup } = session.state;
    if (ready.replacementHmac === null && !setup?.reuse)
      throw new FdoProtocolError(ErrorCode.CredReuseError, 'credential reuse is not enabled by this owner');
    if (ready.replacementHmac) decodeFdoHmac(ready.replacementHmac.decode(), 'ReplacementHMac');
    const mtu = ready.maxOwnerServiceInfoSize ?? DEFAULT_MAX_SERVICE_INFO_SIZE;
    if (mtu < MIN_SERVICE_INFO_SIZE)
      throw FdoProtocolError.invalid(`maxOwnerServiceInfoSz ${mtu} is below ${MIN_SERVICE_INFO_SIZE}`);
    const { bundle: seen, ...state } = session.state;
    const nextState = (revision: number, stepCount: number): To2SessionState => ({
      ...state,
      replacementHmac: ready.replacementHmac?.bytes ?? null,
      serviceInfo: newServiceInfoProgress(mtu, revision, stepCount),
    });
    const reply = () => tunnel.encrypt(encodeTo2OwnerServiceInfoReady({ maxDeviceServiceInfoSize: null }));
    // The bundle seen at HelloDevice, claimed in the statement that saves the session.
    if (
      seen &&
      (await this.sessions.saveGuarded(
        session,
        'service-info',
        nextState(seen.revision, seen.stepCount),
        this.bundles.claimRevision(session.deviceId, session.ownerTenantId, seen.revision),
      ))
    )
      return reply();
    // None then, or it changed since: claim the current one (rendering it now if need be).
    let bundle;
    try {
      bundle = await this.bundles.claim(session.deviceId, session.ownerTenantId);
    } catch (err) {
      if (err instanceof DeliveryFailure) throw await this.outcomes.failed(session, err.message, []);
      throw err;
    }
    await this.sessions.save(
      session,
      'service-info',
      nextState(bundle.revision, bundle.program.steps.length),
    );
    return reply();
  }
}
