import { Injectable, Logger } from '@nestjs/common';
import { type IdentifiedSztpDevice, RestconfRequestError, SztpAnswers } from '@ztp/persistence';
import { sztp } from '@ztp/protocol';
import { ConfigurationMergeError, onboardingInformation } from './onboarding-information';
import { SztpLdevidIssuer } from './ldevid-issuer';

/**
 * get-bootstrapping-data on the owner's bootstrap server (RFC 8572 onboarding-server feature):
 * onboarding-information from the device's onboarding profile, signed with the owner certificate
 * (never unsigned when the device sent signed-data-preferred), and the RFC 9646 exchange when the
 * profile issues LDevIDs: csr-support gets the 400 csr-request, a p10-csr gets an LDevID in the
 * configuration as an ietf-keystore entry.
 */
@Injectable()
export class SztpOnboardingService {
  private readonly logger = new Logger('SztpOnboarding');

  constructor(
    private readonly answers: SztpAnswers,
    private readonly ldevids: SztpLdevidIssuer,
  ) {}

  async getBootstrappingData(
    device: IdentifiedSztpDevice,
    input: sztp.GetBootstrappingDataInput,
  ): Promise<sztp.GetBootstrappingDataOutput> {
    const context = await this.answers.contextFor(device);
    const profile = context.profile;
    if (profile === undefined) {
      throw RestconfRequestError.of(
        409,
        'data-missing',
        'the owner has no onboarding profile for this device',
      );
    }
    let keystore: string | undefined;
    if (profile.issueLdevid && input.csrSupport) {
      const request = this.ldevids.csrRequest(input.csrSupport);
      if (request !== undefined) {
        throw new RestconfRequestError(400, sztp.csrRequestError(request));
      }
      this.logger.warn(
        { serialNumber: device.serialNumber },
        'device cannot produce a PKCS#10 CSR; no LDevID',
      );
    }
    if (profile.issueLdevid && input.csr) {
      keystore = this.ldevids.keystoreDocument(await this.ldevids.issue(context, device, input.csr));
    }
    const signed = device.outputProfile === 'signed' || input.signedDataPreferred;
    let info: sztp.ConveyedInformation;
    try {
      info = onboardingInformation(profile, { minimal: !signed, ...(keystore ? { keystore } : {}) });
    } catch (err) {
      if (err instanceof ConfigurationMergeError)
        throw RestconfRequestError.of(500, 'operation-failed', err.message);
      throw err;
    }
    return this.answers.output(context, info, {
      signed,
      ...(input.nonce ? { nonce: input.nonce } : {}),
      // With an LDevID the information is this device's own; without, the profile's for everyone.
      ...(keystore === undefined ? { contentVersion: `profile:${profile.id}@${profile.version}` } : {}),
    });
  }
}
