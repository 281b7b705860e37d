import { Inject, Injectable } from '@nestjs/common';
import { KEY_CUSTODY } from '@ztp/platform';
import { type KeyCustody, type KeySpec } from '@ztp/pki';
import {
  decodeRendezvousInfo,
  encodePublicKey,
  encodeRendezvousInfo,
  guidToHex,
  newGuid,
  type OwnershipVoucher,
  PkEnc,
  voucherOwnerKey,
} from '@ztp/protocol';
import { type SetupState, type To2SessionState } from '../session/session-state';

/**
 * The credentials a device receives in TO2.SetupDevice. Normally new ones: a random GUID, the
 * owner's RendezvousInfo (or the voucher's when it configured none) and a new Owner2Key generated
 * in key custody, of the type and pkType of the current owner key so the replacement voucher keeps
 * one key type along its chain. With the owner's credential reuse option on, the device's current
 * GUID, RendezvousInfo and owner key are sent back unchanged (FDO 1.1 credential reuse).
 */
@Injectable()
export class ReplacementCredentials {
  constructor(@Inject(KEY_CUSTODY) private readonly custody: KeyCustody) {}

  async prepare(
    ownerTenantId: string,
    state: To2SessionState,
    voucher: OwnershipVoucher,
  ): Promise<SetupState> {
    const ownerKey = voucherOwnerKey(voucher);
    const currentRvInfo = canonicalRendezvousInfo(voucher.header.rendezvousInfo.bytes);
    if (state.offerReuse)
      return {
        guid: state.guid,
        rvInfo: currentRvInfo,
        owner2Key: ownerKey.bytes,
        owner2CustodyKeyId: state.ownerKeyId,
        owner2Spec: state.ownerKeySpec,
        reuse: true,
      };
    const guid = newGuid();
    const keyId = `owner2:${guidToHex(guid)}`;
    const spec = state.ownerKeySpec as KeySpec;
    const info = await this.custody.generateKey({ keyId, spec, purpose: `owner2:${ownerTenantId}` });
    const owner2Key = encodePublicKey(info.publicKey, {
      type: ownerKey.type,
      encoding: ownerKey.encoding === PkEnc.COSEKEY ? PkEnc.COSEKEY : PkEnc.X509,
    });
    return {
      guid,
      rvInfo: state.replacementRvInfo ?? currentRvInfo,
      owner2Key: owner2Key.bytes,
      owner2CustodyKeyId: keyId,
      owner2Spec: spec,
      reuse: false,
    };
  }

  /** An Owner2Key generated for a TO2 that never completed. */
  async discard(setup: SetupState): Promise<void> {
    if (!setup.reuse) await this.custody.destroyKey(setup.owner2CustodyKeyId);
  }
}

/** RendezvousInfo as this service writes it (the bytes SetupDevice carries and the device HMACs). */
export function canonicalRendezvousInfo(bytes: Uint8Array): Uint8Array {
  return encodeRendezvousInfo(decodeRendezvousInfo(bytes));
}
