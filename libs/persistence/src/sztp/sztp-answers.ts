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
    if (context?.voucher === undefined) {
      throw RestconfRequestError.of(
        404,
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
    options: { readonly signed: boolean; readonly nonce?: Uint8Array },
  ): Promise<sztp.GetBootstrappingDataOutput> {
    if (!options.signed) return { conveyedInformation: sztp.encodeUnsignedConveyedInformation(info) };
    const owner = await this.deps.ownerSigners.forOwner(context.owner);
    const [conveyedInformation, ownershipVoucher] = await Promise.all([
      sztp.signConveyedInformation(info, owner.signer, {
        certificates: [context.owner.signingCertificate, context.owner.caCertificate],
      }),
      this.voucherFor(context, owner.pinnedDomainCert, options.nonce),
    ]);
    return {
      conveyedInformation,
      ownerCertificate: owner.ownerCertificateArtifact,
      ownershipVoucher,
    };
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
