import { type SztpOnboardingProfile } from '@ztp/persistence';
import { sztp } from '@ztp/protocol';

/** A profile whose configuration cannot carry the LDevID keystore entry (it is not a JSON object). */
export class ConfigurationMergeError extends Error {
  override readonly name = 'ConfigurationMergeError';
}

/**
 * Adds the top-level members of `document` (RFC 7951 JSON, e.g. `{"ietf-keystore:keystore": ...}`)
 * to a JSON-object configuration; no configuration gives the document alone.
 */
export function mergeJsonConfiguration(configuration: Uint8Array | null, document: string): Uint8Array {
  const addition = JSON.parse(document) as Record<string, unknown>;
  if (configuration === null || configuration.length === 0) return new TextEncoder().encode(document);
  let base: unknown;
  try {
    base = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(configuration));
  } catch {
    throw new ConfigurationMergeError(
      'the configuration is not JSON; an LDevID keystore entry cannot be merged into it',
    );
  }
  if (typeof base !== 'object' || base === null || Array.isArray(base)) {
    throw new ConfigurationMergeError('the configuration is not a JSON object');
  }
  return new TextEncoder().encode(JSON.stringify({ ...(base as Record<string, unknown>), ...addition }));
}

export interface OnboardingInformationOptions {
  /**
   * The lab form for OPI sztp-agent / fl-sztp: their decoders refuse boot-image members other than
   * download-uri and image-verification.
   */
  readonly minimal: boolean;
  /** An ietf-keystore document (JSON) to merge into the configuration (RFC 9646 LDevID delivery). */
  readonly keystore?: string;
}

/** The onboarding-information a profile describes (RFC 8572 section 6.1). */
export function onboardingInformation(
  profile: SztpOnboardingProfile,
  options: OnboardingInformationOptions,
): sztp.ConveyedInformation {
  const image = profile.bootImage;
  const bootImage: sztp.BootImage | undefined = image
    ? {
        ...(!options.minimal && image.osName ? { osName: image.osName } : {}),
        ...(!options.minimal && image.osVersion ? { osVersion: image.osVersion } : {}),
        ...(image.downloadUris.length > 0 ? { downloadUris: image.downloadUris } : {}),
        ...(image.sha256
          ? {
              imageVerification: [
                { hashAlgorithm: 'sha-256' as const, hashValue: Buffer.from(image.sha256, 'hex') },
              ],
            }
          : {}),
      }
    : undefined;
  const configuration =
    options.keystore !== undefined
      ? mergeJsonConfiguration(profile.configuration, options.keystore)
      : profile.configuration;
  const handling = configuration ? (profile.configurationHandling ?? 'merge') : undefined;
  return {
    kind: 'onboarding-information',
    ...(bootImage ? { bootImage } : {}),
    ...(profile.preConfigurationScript ? { preConfigurationScript: profile.preConfigurationScript } : {}),
    ...(configuration ? { configuration, configurationHandling: handling } : {}),
    ...(profile.postConfigurationScript ? { postConfigurationScript: profile.postConfigurationScript } : {}),
  };
}
