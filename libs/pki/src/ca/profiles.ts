import { type ParsedCsr } from '../csr/parse-csr';
import { PkiError } from '../errors';
import { type DistinguishedName, mergeSubjectAltNames, type SubjectAltNames } from '../x509/names';

/** Extended key usage OIDs the profiles use. */
export const ExtendedKeyUsageOid = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/**
 * FDO device attestation certificate (the leaf of the DeviceCertChain issued during DI): subject
 * CN = device serial, key usage digitalSignature only, no EKU.
 */
export interface DeviceIdentityProfile {
  readonly kind: 'device-identity';
  readonly deviceSerial: string;
  readonly organization?: string;
  readonly validityDays: number;
}

/**
 * Operational TLS client certificate (fdo.csr enrollment): EKU clientAuth. The subject and SANs come
 * from the profile; the CSR's own subject is used only with `subject: 'from-csr'`, and its requested
 * SANs only with `allowCsrSubjectAltNames`.
 */
export interface OperationalClientProfile {
  readonly kind: 'operational-client';
  readonly subject: DistinguishedName | 'from-csr';
  readonly subjectAltNames?: SubjectAltNames;
  readonly allowCsrSubjectAltNames?: boolean;
  readonly validityDays: number;
}

/**
 * IEEE 802.1AR locally significant device identifier for SZTP: subject serialNumber and CN = device
 * serial; EKU serverAuth (NETCONF/RESTCONF, where the device is the TLS server even on call-home) and
 * clientAuth (802.1X, bootstrap clients).
 */
export interface LdevidProfile {
  readonly kind: 'ldevid';
  readonly deviceSerial: string;
  readonly organization?: string;
  readonly subjectAltNames?: SubjectAltNames;
  readonly validityDays: number;
}

export type LeafProfile = DeviceIdentityProfile | OperationalClientProfile | LdevidProfile;

/** What a profile decides for one request. */
export interface ResolvedProfile {
  readonly subject: DistinguishedName;
  readonly subjectAltNames: SubjectAltNames;
  readonly extendedKeyUsages: readonly string[];
  readonly validityDays: number;
}

export function resolveProfile(profile: LeafProfile, csr: ParsedCsr): ResolvedProfile {
  switch (profile.kind) {
    case 'device-identity':
      return {
        subject: { organization: profile.organization, commonName: profile.deviceSerial },
        subjectAltNames: {},
        extendedKeyUsages: [],
        validityDays: profile.validityDays,
      };
    case 'operational-client':
      return {
        subject: profile.subject === 'from-csr' ? csr.requestedSubject : profile.subject,
        subjectAltNames: mergeSubjectAltNames(
          profile.subjectAltNames ?? {},
          profile.allowCsrSubjectAltNames ? csr.requestedSubjectAltNames : {},
        ),
        extendedKeyUsages: [ExtendedKeyUsageOid.clientAuth],
        validityDays: profile.validityDays,
      };
    case 'ldevid':
      return {
        subject: {
          organization: profile.organization,
          commonName: profile.deviceSerial,
          serialNumber: profile.deviceSerial,
        },
        subjectAltNames: profile.subjectAltNames ?? {},
        extendedKeyUsages: [ExtendedKeyUsageOid.serverAuth, ExtendedKeyUsageOid.clientAuth],
        validityDays: profile.validityDays,
      };
    default:
      throw new PkiError(
        'invalid-profile',
        `unknown certificate profile ${String((profile as { kind: unknown }).kind)}`,
      );
  }
}
