import { X509Certificate } from 'node:crypto';
import { SztpVerificationError } from '../errors';
import { Oid } from '../oids';
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

// Certificates and their extension values are DER (RFC 5280 4.1, 4.2): a BER-encoded one is refused
// (OpenSSL would accept non-minimal lengths; the signature covers the DER a CA wrote).
const reader: Asn1Reader = new Asn1Reader('malformed-certificate', { der: true });

interface Extensions {
  isCa: boolean;
  keyUsage?: CertificateInfo['keyUsage'];
  subjectKeyIdentifier?: Uint8Array;
  authorityKeyIdentifier?: Uint8Array;
}

function readExtensions(node: Asn1 | undefined): Extensions {
  const result: Extensions = { isCa: false };
  if (node === undefined) return result;
  const wrapped = reader.tagged(node, 3, 'extensions');
  // RFC 5280 4.1: [3] EXPLICIT Extensions, a SEQUENCE SIZE (1..MAX); 4.2: each extension once.
  const list = reader.sequence(wrapped[0], 'extensions');
  if (wrapped.length !== 1 || list.length === 0) reader.fail('extensions');
  const seen = new Set<string>();
  for (const extension of list) {
    // Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
    const fields = reader.sequence(extension, 'extension');
    const id = reader.oid(fields[0], 'extension id');
    if (seen.has(id)) reader.fail('extensions (an extension twice)');
    seen.add(id);
    if (fields.length === 3) reader.boolean(fields[1], 'extension critical');
    else if (fields.length !== 2) reader.fail('extension');
    const value = reader.octets(fields[fields.length - 1], 'extension value');
    switch (id) {
      case '2.5.29.19': {
        // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }
        const items = reader.sequence(reader.parse(value, 'basicConstraints'), 'basicConstraints');
        let i = 0;
        result.isCa = reader.isBoolean(items[0]) && reader.boolean(items[i++], 'basicConstraints cA');
        if (items[i] !== undefined) reader.integerContent(items[i++], 'basicConstraints pathLenConstraint');
        if (i !== items.length) reader.fail('basicConstraints');
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
  // version [0] EXPLICIT: v2 (1) or v3 (2); v1 is the DEFAULT and so left out in DER (X.690 11.5).
  let version = 0;
  if (offset === 1) {
    const versionField = reader.tagged(fields[0], 0, 'version');
    version = reader.smallInteger(versionField[0], 'version');
    if (versionField.length !== 1 || ![1, 2].includes(version)) reader.fail('version');
  }
  const serialNode = fields[offset];
  const issuerNode = fields[offset + 2];
  const validity = reader.sequence(fields[offset + 3], 'validity');
  const subjectNode = fields[offset + 4];
  if (serialNode === undefined || issuerNode === undefined || subjectNode === undefined)
    reader.fail('tbsCertificate');
  // The key is whole octets (RFC 5480 2.2, RFC 3279): a BIT STRING with no unused bits.
  const [keyAlgorithm, subjectPublicKey] = reader.sequence(fields[offset + 5], 'subjectPublicKeyInfo');
  // RFC 3279 2.3.1: rsaEncryption takes NULL parameters; RFC 5480 2.1.1: id-ecPublicKey a curve OID.
  // (OpenSSL accepts either left out; pkijs, in the differential test, neither.)
  const [keyOid, keyParameters, ...keyRest] = reader.sequence(keyAlgorithm, 'subjectPublicKeyInfo algorithm');
  const keyType = reader.oid(keyOid, 'subjectPublicKeyInfo algorithm');
  if (
    keyRest.length > 0 ||
    (keyType === Oid.rsaEncryption && !reader.isNull(keyParameters)) ||
    (keyType === Oid.ecPublicKey && !reader.isOid(keyParameters))
  )
    reader.fail('subjectPublicKeyInfo algorithm');
  if (
    reader.bitString(subjectPublicKey, 'subjectPublicKey') &&
    subjectPublicKey!.bytes[subjectPublicKey!.contentStart] !== 0
  )
    reader.fail('subjectPublicKey');
  // RFC 5480 2.2: an EC point is uncompressed (04) or compressed (02, 03); "the hybrid form (06, 07)
  // MUST NOT be used". OpenSSL reads a hybrid point as the same key, WebCrypto refuses it: found by
  // the differential test (a 04 -> 06 bit flip that OpenSSL verified).
  if (keyType === Oid.ecPublicKey) {
    const form = subjectPublicKey!.bytes[subjectPublicKey!.contentStart + 1];
    if (form !== 0x02 && form !== 0x03 && form !== 0x04) reader.fail('subjectPublicKey (EC point form)');
  }
  const extensionsNode = fields.slice(offset + 6).find((n) => reader.contextTag(n) === 3);
  // RFC 5280 4.1.2.1: a certificate with extensions is v3.
  if (extensionsNode !== undefined && version !== 2) reader.fail('version (extensions need v3)');
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
