import { type KeyObject, X509Certificate as NodeX509Certificate } from 'node:crypto';
import { PkiError } from '../errors';
import { isSingleDerSequence } from './der';
import { x509 } from './runtime';

/**
 * What chain checks and issuance read from one certificate, extracted once and up front so that a
 * malformed extension shows as `malformed-certificate` here instead of a stray exception later.
 * Node's X509Certificate (OpenSSL) does signature checks and issuer matching; @peculiar/x509 reads
 * the extensions.
 */
export interface CertificateFacts {
  readonly der: Uint8Array;
  readonly openssl: NodeX509Certificate;
  readonly parsed: x509.X509Certificate;
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Undefined when there is no basicConstraints extension. */
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLength?: number };
  /** KeyUsageFlags bits; undefined when there is no keyUsage extension (any usage). */
  readonly keyUsage?: number;
  /** EKU OIDs; undefined when there is no extendedKeyUsage extension (any usage). */
  readonly extendedKeyUsage?: readonly string[];
  readonly subjectKeyIdentifier?: string;
  readonly criticalExtensionOids: readonly string[];
  /** Read once: each access to Node's `X509Certificate.publicKey` builds a new KeyObject. */
  readonly publicKey: KeyObject;
}

const BASIC_CONSTRAINTS = '2.5.29.19';
const KEY_USAGE = '2.5.29.15';
const EXTENDED_KEY_USAGE = '2.5.29.37';
const SUBJECT_KEY_IDENTIFIER = '2.5.29.14';

export function readCertificate(der: Uint8Array): CertificateFacts {
  try {
    if (!isSingleDerSequence(der)) throw new Error('not a single DER SEQUENCE');
    const openssl = new NodeX509Certificate(der);
    const parsed = new x509.X509Certificate(der);
    const extensions = parsed.extensions;
    const extension = (oid: string) => {
      const found = extensions.filter((e) => e.type === oid);
      if (found.length > 1) throw new Error(`extension ${oid} appears twice`);
      return found[0];
    };
    const bc = extension(BASIC_CONSTRAINTS);
    const ku = extension(KEY_USAGE);
    const eku = extension(EXTENDED_KEY_USAGE);
    const ski = extension(SUBJECT_KEY_IDENTIFIER);
    const basicConstraints = bc && new x509.BasicConstraintsExtension(bc.rawData);
    return {
      der,
      openssl,
      parsed,
      subject: parsed.subject,
      notBefore: parsed.notBefore,
      notAfter: parsed.notAfter,
      basicConstraints: basicConstraints && {
        ca: basicConstraints.ca,
        pathLength: basicConstraints.pathLength,
      },
      keyUsage: ku && new x509.KeyUsagesExtension(ku.rawData).usages,
      extendedKeyUsage: eku && new x509.ExtendedKeyUsageExtension(eku.rawData).usages.map(String),
      subjectKeyIdentifier: ski && new x509.SubjectKeyIdentifierExtension(ski.rawData).keyId,
      criticalExtensionOids: extensions.filter((e) => e.critical).map((e) => e.type),
      publicKey: openssl.publicKey,
    };
  } catch (cause) {
    if (cause instanceof PkiError) throw cause;
    throw new PkiError('malformed-certificate', 'not a well-formed X.509 certificate', { cause });
  }
}
