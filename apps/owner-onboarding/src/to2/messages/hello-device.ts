import { type KeyObject, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { FdoProtocolError } from '@ztp/platform';
import {
  beginOwner,
  buildRendezvousInfo,
  computeFdoHash,
  encode,
  encodeRendezvousInfo,
  encodeTo2ProveOvHdrPayload,
  exportOwnerKexState,
  fdoDigestToCbor,
  guidToHex,
  HashAlg,
  CoseHeader,
  type CborValue,
  isKexSuite,
  isSigAlg,
  isTunnelCipherSuite,
  KexError,
  MAX_MESSAGE_SIZE,
  type OwnershipVoucher,
  RawCbor,
  RendezvousSpecError,
  sigAlgFitsKey,
  signSign1,
  type To2HelloDevice,
  voucherOwnerKey,
  ErrorCode,
} from '@ztp/protocol';
import { BundleDelivery } from '../../service-info/bundle-delivery';
import { DeviceTrust } from '../owner/device-trust';
import { etmKeySizesFor } from '../owner/etm-key-sizes';
import { kexFitsOwnerKey, toFdoError } from '../owner/owner-kex';
import { type OwnerVoucher, OwnerVouchers } from '../owner/owner-vouchers';
import { OwnerSigners } from '../owner/owner-signers';
import { To2SessionStore } from '../session/session-store';

/**
 * TO2.HelloDevice (60) -> TO2.ProveOVHdr (61): finds the owner's voucher for the GUID, checks the
 * device's suites against it, starts the key exchange and signs the voucher header proof with the
 * current owner key. The session (nonces, key exchange state) is stored before the reply leaves.
 */
@Injectable()
export class HelloDevice {
  constructor(
    private readonly vouchers: OwnerVouchers,
    private readonly signers: OwnerSigners,
    private readonly trust: DeviceTrust,
    private readonly sessions: To2SessionStore,
    private readonly bundles: BundleDelivery,
  ) {}

  async handle(
    hello: To2HelloDevice,
    requestBytes: Uint8Array,
  ): Promise<{ body: Uint8Array; token: string }> {
    if (!isKexSuite(hello.kexSuiteName))
      throw FdoProtocolError.malformed(`unsupported key exchange suite ${hello.kexSuiteName}`);
    if (!isTunnelCipherSuite(hello.cipherSuite))
      throw FdoProtocolError.malformed(`unsupported cipher suite ${hello.cipherSuite}`);
    const guidHex = guidToHex(hello.guid);
    const owner = await this.vouchers.findForGuid(guidHex);
    if (!owner) {
      if ((await this.vouchers.lifecycleOfGuid(guidHex)) === 'decommissioned')
        throw FdoProtocolError.notFound(`device ${guidHex} is decommissioned: it is not onboarded again`);
      throw FdoProtocolError.notFound(`no owner holds a voucher for device ${guidHex}`);
    }
    if (owner.lifecycle === 'disabled')
      throw FdoProtocolError.notFound(
        `device ${guidHex} is disabled by its owner: try again once it is enabled`,
      );
    if (owner.lifecycle !== 'owned' && owner.lifecycle !== 'onboarded')
      throw FdoProtocolError.notFound(`device ${guidHex} is ${owner.lifecycle}: it cannot onboard`);
    const { voucher } = owner;
    if (!kexFitsOwnerKey(hello.kexSuiteName, owner.ownerKeySpec))
      throw FdoProtocolError.invalid(
        `${hello.kexSuiteName} does not fit the owner's ${owner.ownerKeySpec} key`,
      );
    checkSigInfo(hello, this.vouchers.deviceKey(owner.voucherId, voucher));
    await this.trust.check(owner.ownerTenantId, voucher);

    let kex;
    try {
      kex = beginOwner(hello.kexSuiteName);
    } catch (err) {
      if (err instanceof KexError) throw toFdoError(err);
      throw err;
    }
    const nonceProveDv = new Uint8Array(randomBytes(16));
    const ownerKey = voucherOwnerKey(voucher);
    const payload = encodeTo2ProveOvHdrPayload({
      ovHeader: new RawCbor(voucher.header.bytes),
      numOvEntries: voucher.entries.length,
      hmac: new RawCbor(voucher.elementBytes[2]),
      nonceTo2ProveOv: hello.nonceTo2ProveOv,
      sigInfoB: hello.sigInfoA,
      xAKeyExchange: kex.xA,
      helloDeviceHash: new RawCbor(
        encode(fdoDigestToCbor(computeFdoHash(helloHashAlg(voucher), requestBytes))),
      ),
      maxOwnerMessageSize: MAX_MESSAGE_SIZE,
    });
    const signer = await this.signers.forPkType(owner.ownerKeyId, owner.ownerKeySpec, ownerKey.type);
    const proof = await signSign1(signer, payload, {
      unprotectedHeader: new Map<CborValue, CborValue>([
        [CoseHeader.CUPHNonce, nonceProveDv],
        [CoseHeader.CUPHOwnerPubKey, new RawCbor(ownerKey.bytes)],
      ]),
    });
    const etmKeySizes = etmKeySizesFor(hello.cipherSuite, owner.etmKeySizes, owner.settings.etmKeySizes);
    const bundle = owner.bundle ? this.bundles.prefetched(owner.deviceId, owner.bundle) : null;
    const token = await this.sessions.create({
      ownerTenantId: owner.ownerTenantId,
      deviceId: owner.deviceId,
      voucherId: owner.voucherId,
      state: {
        format: 1,
        guid: hello.guid,
        numEntries: voucher.entries.length,
        ownerKeyId: owner.ownerKeyId,
        ownerKeySpec: owner.ownerKeySpec,
        kexSuite: hello.kexSuiteName,
        cipher: hello.cipherSuite,
        ...(etmKeySizes ? { etmKeySizes } : {}),
        nonceProveDv,
        maxDeviceMessageSize: hello.maxDeviceMessageSize,
        offerReuse: owner.settings.credentialReuse === true,
        replacementRvInfo: replacementRendezvousInfo(owner),
        kexState: exportOwnerKexState(kex.state),
        ...(bundle ? { bundle: { revision: bundle.revision, stepCount: bundle.program.steps.length } } : {}),
      },
    });
    return { body: proof.bytes, token };
  }
}

/** The device's signature type must be one its attestation key (the voucher's device leaf) can make. */
function checkSigInfo(hello: To2HelloDevice, deviceKey: KeyObject | null): void {
  if (!deviceKey) throw new FdoProtocolError(ErrorCode.InvalidMessageError, 'EPID devices are not supported');
  const { sgType } = hello.sigInfoA;
  if (!isSigAlg(sgType) || !sigAlgFitsKey(sgType, deviceKey))
    throw FdoProtocolError.invalid(`eASigInfo type ${sgType} does not fit the device's attestation key`);
}

/** HelloDeviceHash uses the hash of the voucher's device chain hash, as go-fdo does (SHA-384 for 384-bit devices). */
function helloHashAlg(voucher: OwnershipVoucher): number {
  if (voucher.header.certChainHash) return voucher.header.certChainHash.alg;
  return voucher.headerHmac.alg === HashAlg.HMAC_SHA384 ? HashAlg.SHA384 : HashAlg.SHA256;
}

/** The owner's configured rendezvous directives for the new credentials, as RendezvousInfo CBOR. */
function replacementRendezvousInfo(owner: OwnerVoucher): Uint8Array | null {
  const directives = owner.settings.rendezvous;
  if (!directives || directives.length === 0) return null;
  try {
    return encodeRendezvousInfo(buildRendezvousInfo(directives));
  } catch (err) {
    if (err instanceof RendezvousSpecError)
      throw new FdoProtocolError(ErrorCode.InternalServerError, 'internal error', { cause: err });
    throw err;
  }
}
