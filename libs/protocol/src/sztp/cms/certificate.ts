import { X509Certificate } from 'node:crypto';
import { SztpVerificationError } from '../errors';
import { Asn1Reader, type Asn1 } from './asn1';

/**
 * The few facts SZTP needs from an X.509 certificate, read from its exact DER. Signatures and
 * issuer matching use node:crypto's X509Certificate (OpenSSL); names and serials are kept as the
 * exact bytes found in the certificate, which is what CMS signer identifiers must match.
 */
export interface CertificateInfo {
  readonly der: Uint8Array;
  readonly x509: X509Certificate;
  /** Full DER of the issuer Name. */
  readonly issuer: Uint8Array;
  /** Full DER of the subject Name. */
  readonly subject: Uint8Array;
  /** Content octets of the serialNumber INTEGER. */
  readonly serialNumber: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** basicConstraints cA. */
  readonly isCa: boolean;
  /** keyUsage bits by name; undefined when the extension is absent. */
  readonly keyUsage?: { readonly digitalSignature: boolean; readonly keyCertSign: boolean };
  readonly subjectKeyIdentifier?: Uint8Array;
  /** keyIdentifier of the authorityKeyIdentifier extension. */
  readonly authorityKeyIdentifier?: Uint8Array;
}

const reader: Asn1Reader = new Asn1Reader('malformed-certificate');

interface Extensions {
  isCa: boolean;
  keyUsage?: CertificateInfo['keyUsage'];
  subjectKeyIdentifier?: Uint8Array;
  authorityKeyIdentifier?: Uint8Array;
}

function readExtensions(node: Asn1 | undefined): Extensions {
  const result: Extensions = { isCa: false };
  if (node === undefined) return result;
  const [extensions] = reader.tagged(node, 3, 'extensions');
  for (const extension of reader.sequence(extensions, 'extensions')) {
    const fields = reader.sequence(extension, 'extension');
    const id = reader.oid(fields[0], 'extension id');
    const value = reader.octets(fields[fields.length - 1], 'extension value');
    switch (id) {
      case '2.5.29.19': {
        const first = reader.sequence(reader.parse(value, 'basicConstraints'), 'basicConstraints')[0];
        result.isCa = reader.isBoolean(first) && reader.boolean(first, 'basicConstraints cA');
        break;
      }
      case '2.5.29.15': {
        const first = reader.bitString(reader.parse(value, 'keyUsage'), 'keyUsage')[0] ?? 0;
        result.keyUsage = { digitalSignature: (first & 0x80) !== 0, keyCertSign: (first & 0x04) !== 0 };
        break;
      }
      case '2.5.29.14':
        result.subjectKeyIdentifier = reader.octets(
          reader.parse(value, 'subjectKeyIdentifier'),
          'subjectKeyIdentifier',
        );
        break;
      case '2.5.29.35': {
        // RFC 5280 4.2.1.1: keyIdentifier [0], authorityCertIssuer [1] (GeneralNames, constructed),
        // authorityCertSerialNumber [2], each optional, in this order.
        const fields = reader.sequence(
          reader.parse(value, 'authorityKeyIdentifier'),
          'authorityKeyIdentifier',
        );
        let previous = -1;
        for (const field of fields) {
          const tag = reader.contextTag(field);
          if (tag === undefined || tag > 2 || tag <= previous || field.constructed !== (tag === 1))
            reader.fail('authorityKeyIdentifier');
          previous = tag;
          if (tag === 0) result.authorityKeyIdentifier = reader.primitiveContent(field, 'keyIdentifier');
        }
        break;
      }
    }
  }
  return result;
}

/** Parses a DER certificate; fails with `malformed-certificate`. */
export function parseCertificate(der: Uint8Array): CertificateInfo {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch {
    throw new SztpVerificationError('malformed-certificate', 'not a DER X.509 certificate');
  }
  const [tbs] = reader.sequence(reader.parse(der, 'certificate'), 'certificate');
  const fields = reader.sequence(tbs, 'tbsCertificate');
  const offset = reader.contextTag(fields[0]) === 0 ? 1 : 0;
  const serialNode = fields[offset];
  const issuerNode = fields[offset + 2];
  const validity = reader.sequence(fields[offset + 3], 'validity');
  const subjectNode = fields[offset + 4];
  if (serialNode === undefined || issuerNode === undefined || subjectNode === undefined)
    reader.fail('tbsCertificate');
  // The key is whole octets (RFC 5480 2.2, RFC 3279): a BIT STRING with no unused bits.
  const [, subjectPublicKey] = reader.sequence(fields[offset + 5], 'subjectPublicKeyInfo');
  if (
    reader.bitString(subjectPublicKey, 'subjectPublicKey') &&
    subjectPublicKey!.bytes[subjectPublicKey!.contentStart] !== 0
  )
    reader.fail('subjectPublicKey');
  const extensionsNode = fields.slice(offset + 6).find((n) => reader.contextTag(n) === 3);
  return {
    der: Uint8Array.from(der),
    x509,
    issuer: reader.raw(issuerNode),
    subject: reader.raw(subjectNode),
    serialNumber: reader.integerContent(serialNode, 'serialNumber'),
    notBefore: reader.time(validity[0], 'notBefore'),
    notAfter: reader.time(validity[1], 'notAfter'),
    ...readExtensions(extensionsNode),
  };
}

/** DER certificates from PEM text (any number of CERTIFICATE blocks; other blocks ignored). */
export function certificatesFromPem(pem: string): Uint8Array[] {
  const blocks = pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g);
  return Array.from(blocks, (m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
}

export function certificateToPem(der: Uint8Array): string {
  const body = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}
