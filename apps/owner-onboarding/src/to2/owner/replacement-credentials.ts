import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { Inject, Injectable } from '@nestjs/common';
import { KEY_CUSTODY } from '@ztp/platform';
import { type KeyCustody, type KeySpec } from '@ztp/pki';
import {
  createSoftwareSigner,
  decodeRendezvousInfo,
  encodePublicKey,
  encodeRendezvousInfo,
  guidToHex,
  newGuid,
  type OwnershipVoucher,
  PkEnc,
  voucherOwnerKey,
} from '@ztp/protocol';
import { type Signer } from '@ztp/protocol/cose/signer';
import { type SetupState, type To2SessionState } from '../session/session-state';
import { OwnerSigners, signatureAlgorithm } from './owner-signers';

const generateKeyPairAsync = promisify(generateKeyPair);

/** The replacement credentials, and the key that signs TO2.SetupDevice with them. */
export interface PreparedSetup {
  setup: SetupState;
  owner2Signer: Signer;
}

/**
 * The credentials a device receives in TO2.SetupDevice. Normally new ones: a random GUID, the
 * owner's RendezvousInfo (or the voucher's when it configured none) and a new Owner2Key, of the
 * type and pkType of the current owner key so the replacement voucher keeps one key type along
 * its chain. The Owner2Key is generated here and handed to key custody at once (importKey: one
 * write); it signs SetupDevice before this process drops it, which spares a custody read per
 * onboarding. With the owner's credential reuse option on, the device's current GUID,
 * RendezvousInfo and owner key are sent back unchanged (FDO 1.1 credential reuse).
 */
@Injectable()
export class ReplacementCredentials {
  constructor(
    @Inject(KEY_CUSTODY) private readonly custody: KeyCustody,
    private readonly signers: OwnerSigners,
  ) {}

  async prepare(
    ownerTenantId: string,
    state: To2SessionState,
    voucher: OwnershipVoucher,
  ): Promise<PreparedSetup> {
    const ownerKey = voucherOwnerKey(voucher);
    const currentRvInfo = canonicalRendezvousInfo(voucher.header.rendezvousInfo.bytes);
    const spec = state.ownerKeySpec as KeySpec;
    if (state.offerReuse)
      return {
        setup: {
          guid: state.guid,
          rvInfo: currentRvInfo,
          owner2Key: ownerKey.bytes,
          owner2CustodyKeyId: state.ownerKeyId,
          owner2Spec: state.ownerKeySpec,
          reuse: true,
        },
        owner2Signer: await this.signers.forPkType(state.ownerKeyId, spec, ownerKey.type),
      };
    const guid = newGuid();
    const keyId = `owner2:${guidToHex(guid)}`;
    const privateKey = await generateKey(spec);
    const custodied = await this.custody.importKey({ keyId, privateKey, purpose: `owner2:${ownerTenantId}` });
    const owner2Key = encodePublicKey(privateKey, {
      type: ownerKey.type,
      encoding: ownerKey.encoding === PkEnc.COSEKEY ? PkEnc.COSEKEY : PkEnc.X509,
    });
    return {
      setup: {
        guid,
        rvInfo: state.replacementRvInfo ?? currentRvInfo,
        owner2Key: owner2Key.bytes,
        owner2Spki: custodied.publicKeySpki,
        owner2CustodyKeyId: keyId,
        owner2Spec: spec,
        reuse: false,
      },
      owner2Signer: createSoftwareSigner(privateKey, { alg: signatureAlgorithm(spec, ownerKey.type) }),
    };
  }

  /** An Owner2Key generated for a TO2 that never completed. */
  async discard(setup: SetupState): Promise<void> {
    if (!setup.reuse) await this.custody.destroyKey(setup.owner2CustodyKeyId);
  }
}

async function generateKey(spec: KeySpec): Promise<KeyObject> {
  switch (spec) {
    case 'P-256':
      return (await generateKeyPairAsync('ec', { namedCurve: 'P-256' })).privateKey;
    case 'P-384':
      return (await generateKeyPairAsync('ec', { namedCurve: 'P-384' })).privateKey;
    case 'RSA-2048':
      return (await generateKeyPairAsync('rsa', { modulusLength: 2048 })).privateKey;
    case 'RSA-3072':
      return (await generateKeyPairAsync('rsa', { modulusLength: 3072 })).privateKey;
  }
}

/** RendezvousInfo as this service writes it (the bytes SetupDevice carries and the device HMACs). */
export function canonicalRendezvousInfo(bytes: Uint8Array): Uint8Array {
  return encodeRendezvousInfo(decodeRendezvousInfo(bytes));
}
