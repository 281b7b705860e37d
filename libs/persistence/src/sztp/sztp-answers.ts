import { sztp } from '@ztp/protocol';
import { type DataSource } from 'typeorm';
import { RestconfRequestError } from './restconf-exchange';
import {
  loadSztpDeviceContext,
  type SztpActiveVoucher,
  type SztpDeviceContext,
  type SztpOwnerIdentity,
} from './sztp-device-context';
import { type IdentifiedSztpDevice } from './sztp-device-identifier';
import { ExpiringCache } from '../support/expiring-cache';
import { type SztpMasaVoucherIssuer, type SztpOwnerSigners } from './sztp-signers';

/** A device context with the parts an answer needs: an owner holding it, with an SZTP identity. */
export interface AnswerableContext extends SztpDeviceContext {
  readonly voucher: SztpActiveVoucher;
  readonly owner: SztpOwnerIdentity;
}

/**
 * What both SZTP servers do around their own conveyed information: find who holds the device, and
 * wrap the answer as the device's type and request ask: signed (CMS signed by the holder's owner
 * certificate, with the owner-certificate artifact and the ownership voucher, nonce-bound when the
 * device sent a nonce and the MASA is ours) or the unsigned lab form.
 */
export class SztpAnswers {
  /**
   * Signed conveyed information by owner key and content version: the same profile (or redirect)
   * gives the same bytes to sign for every device, and a CMS signature has no per-device part (the
   * voucher binds the device). Entries go with the version they were made for.
   */
  private readonly signedInformation = new ExpiringCache<string, Promise<Uint8Array>>(1_000, 10 * 60_000);
  /**
   * Whole signed answers without a nonce, by content version and voucher (both immutable): the same
   * object comes back, so its serialisation can be memoised too (see SztpRestconfServer). About
   * 15 kB each with the serialisation; bounded to what a busy minute of retrying devices needs.
   */
  private readonly signedOutputs = new ExpiringCache<string, Promise<sztp.GetBootstrappingDataOutput>>(
    1_000,
    60_000,
  );

  constructor(
    private readonly deps: {
      dataSource: DataSource;
      ownerSigners: SztpOwnerSigners;
      vouchers: SztpMasaVoucherIssuer;
    },
  ) {}

  /** The device's context, refused with a RESTCONF error when nobody here can answer for it. */
  async contextFor(device: IdentifiedSztpDevice): Promise<AnswerableContext> {
    const context = await loadSztpDeviceContext(this.deps.dataSource, device.deviceId);
    if (context?.lifecycle === 'decommissioned')
      throw RestconfRequestError.of(
        403,
        'access-denied',
        'the device is decommissioned: it is not bootstrapped again',
      );
    if (context?.lifecycle === 'disabled')
      throw RestconfRequestError.of(
        403,
        'access-denied',
        'the device is disabled by its owner: try again once it is enabled',
      );
    if (context?.voucher === undefined) {
      throw RestconfRequestError.of(
        409,
        'data-missing',
        'no owner holds an ownership voucher for this device',
      );
    }
    if (context.owner === undefined) {
      throw RestconfRequestError.of(
        409,
        'resource-denied',
        'the device owner has not set up its SZTP owner certificate',
      );
    }
    if (!context.voucher.pinsHolder) {
      throw RestconfRequestError.of(
        409,
        'resource-denied',
        "the device's ownership voucher does not pin its holder's owner certificate",
      );
    }
    return context as AnswerableContext;
  }

  /**
   * Signed output, unless `signed` is false (the lab profile without signed-data-preferred): then
   * only the unsigned conveyed-information, which is what OPI's and fl-sztp's decoders accept.
   */
  async output(
    context: AnswerableContext,
    info: sztp.ConveyedInformation,
    options: {
      readonly signed: boolean;
      readonly nonce?: Uint8Array;
      /** Identifies `info` exactly (its source and version); answers with one reuse one signature. */
      readonly contentVersion?: string;
    },
  ): Promise<sztp.GetBootstrappingDataOutput> {
    if (!options.signed) return { conveyedInformation: sztp.encodeUnsignedConveyedInformation(info) };
    if (options.nonce === undefined && options.contentVersion !== undefined) {
      const key = `${context.owner.signingKeyId}\n${options.contentVersion}\n${context.voucher.id}`;
      let output = this.signedOutputs.get(key);
      if (output === undefined) {
        output = this.signedOutput(context, info, options);
        this.signedOutputs.set(key, output);
        output.catch(() => this.signedOutputs.delete(key));
      }
      return output;
    }
    return this.signedOutput(context, info, options);
  }

  private async signedOutput(
    context: AnswerableContext,
    info: sztp.ConveyedInformation,
    options: { readonly nonce?: Uint8Array; readonly contentVersion?: string },
  ): Promise<sztp.GetBootstrappingDataOutput> {
    const owner = await this.deps.ownerSigners.forOwner(context.owner);
    const [conveyedInformation, ownershipVoucher] = await Promise.all([
      this.sign(context, info, options.contentVersion),
      this.voucherFor(context, owner.pinnedDomainCert, options.nonce),
    ]);
    return {
      conveyedInformation,
      ownerCertificate: owner.ownerCertificateArtifact,
      ownershipVoucher,
    };
  }

  private async sign(
    context: AnswerableContext,
    info: sztp.ConveyedInformation,
    contentVersion: string | undefined,
  ): Promise<Uint8Array> {
    // The owner certificate rides along (IOS-XE wants it); its CA is in the owner-certificate artifact.
    const sign = async () =>
      sztp.signConveyedInformation(info, (await this.deps.ownerSigners.forOwner(context.owner)).signer);
    if (contentVersion === undefined) return sign();
    const key = `${context.owner.signingKeyId}\n${contentVersion}`;
    let signed = this.signedInformation.get(key);
    if (signed === undefined) {
      signed = sign();
      this.signedInformation.set(key, signed);
      signed.catch(() => this.signedInformation.delete(key));
    }
    return signed;
  }

  /** The ledger voucher, or a fresh nonce-bound one when the device asked with a nonce and the MASA is ours. */
  private async voucherFor(
    context: AnswerableContext,
    pinnedDomainCert: Uint8Array,
    nonce: Uint8Array | undefined,
  ): Promise<Uint8Array> {
    if (nonce === undefined || !(await this.deps.vouchers.canIssue(context.voucher.masaId))) {
      return context.voucher.cms;
    }
    return this.deps.vouchers.issue(context.voucher.masaId, {
      serialNumber: context.serialNumber,
      pinnedDomainCert,
      nonce,
    });
  }
}
