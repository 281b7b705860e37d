import { Injectable } from '@nestjs/common';
import { FdoProtocolError } from '@ztp/platform';
import {
  type CipherSuite,
  decodeRendezvousInfo,
  decodeSignedEat,
  encodeTo2SetupDevicePayload,
  ErrorCode,
  RawCbor,
  readProveDeviceFdoClaim,
  signSign1,
  TunnelSession,
  verifyEat,
} from '@ztp/protocol';
import { EtmKeySizesLedger } from '../owner/etm-key-sizes';
import { OwnerKex } from '../owner/owner-kex';
import { OwnerVouchers } from '../owner/owner-vouchers';
import { ReplacementCredentials } from '../owner/replacement-credentials';
import { type To2Session, To2SessionStore } from '../session/session-store';

/**
 * TO2.ProveDevice (64) -> TO2.SetupDevice (65): verifies the device's EAT (signed by the voucher's
 * device key, nonce = NonceTO2ProveDv, UEID = GUID), completes the key exchange, and answers with
 * the replacement credentials signed by the Owner2Key, already inside the encrypted tunnel.
 */
@Injectable()
export class ProveDevice {
  constructor(
    private readonly sessions: To2SessionStore,
    private readonly vouchers: OwnerVouchers,
    private readonly kex: OwnerKex,
    private readonly credentials: ReplacementCredentials,
    private readonly etm: EtmKeySizesLedger,
  ) {}

  handle(token: string | undefined, body: Uint8Array): Promise<Uint8Array> {
    return this.sessions.run(token, ['proving'], 'TO2.ProveDevice', (session) => this.prove(session, body));
  }

  private async prove(session: To2Session, body: Uint8Array): Promise<Uint8Array> {
    const eat = decodeSignedEat(body, 'TO2.ProveDevice');
    const { state } = session;
    const voucher = await this.vouchers.byId(session.voucherId);
    const deviceKey = this.vouchers.deviceKey(session.voucherId, voucher);
    if (!deviceKey)
      throw new FdoProtocolError(ErrorCode.InvalidMessageError, 'EPID devices are not supported');
    verifyEat(eat, deviceKey, { nonce: state.nonceProveDv, guid: state.guid });
    const nonceSetupDv = eat.unprotected.euphNonce;
    if (!nonceSetupDv)
      throw FdoProtocolError.malformed('TO2.ProveDevice: EUPHNonce (NonceTO2SetupDv) missing');
    const xB = readProveDeviceFdoClaim(eat.payload);
    const secret = await this.kex.complete(state.kexState!, xB, state.ownerKeyId);
    const tunnel = TunnelSession.establish(state.cipher as CipherSuite, secret, {
      keySizes: state.etmKeySizes,
    });

    const { setup, owner2Signer } = await this.credentials.prepare(session.ownerTenantId, state, voucher);
    const setupDevice = await signSign1(
      owner2Signer,
      encodeTo2SetupDevicePayload({
        rendezvousInfo: decodeRendezvousInfo(setup.rvInfo),
        guid: setup.guid,
        nonceTo2SetupDv: nonceSetupDv,
        owner2Key: new RawCbor(setup.owner2Key),
      }),
    );
    const { kexState: _used, ...rest } = state;
    try {
      await this.sessions.save(session, 'setup', {
        ...rest,
        tunnelKeys: tunnel.export(),
        nonceSetupDv,
        setup,
      });
    } catch (err) {
      // A duplicate: the Owner2Key made for it will never be used.
      await this.credentials.discard(setup).catch(() => undefined);
      throw err;
    }
    if (state.etmKeySizes) await this.etm.sent(session.deviceId, state.etmKeySizes);
    return tunnel.encrypt(setupDevice.bytes);
  }
}
