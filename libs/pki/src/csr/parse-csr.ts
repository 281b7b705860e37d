import { createPublicKey, type KeyObject } from 'node:crypto';
import { PkiError } from '../errors';
import { type KeySpec, keySpecOf } from '../key-spec';
import { type DistinguishedName, fromGeneralNames, type SubjectAltNames } from '../x509/names';
import { isSingleDerSequence } from '../x509/der';
import { pemToDerAll } from '../x509/pem';
import { nodeWebCrypto, x509 } from '../x509/runtime';

/** A PKCS#10 request whose self-signature has been checked. What it asks for is not yet granted. */
export interface ParsedCsr {
  readonly der: Uint8Array;
  /** The full requested subject as text (RFC 4514 style), for logs and audit. */
  readonly subject: string;
  /** The requested subject's attributes this lib knows (first value of each); others are dropped. */
  readonly requestedSubject: DistinguishedName;
  /** DNS, IP, URI and email SANs from the extensionRequest attribute. */
  readonly requestedSubjectAltNames: SubjectAltNames;
  readonly publicKey: KeyObject;
  /** DER SubjectPublicKeyInfo exactly as in the request. */
  readonly publicKeySpki: Uint8Array;
  readonly keySpec: KeySpec;
}

const SUBJECT_ALT_NAME = '2.5.29.17';
const SUBJECT_FIELDS: ReadonlyArray<readonly [keyof DistinguishedName, string]> = [
  ['country', '2.5.4.6'],
  ['stateOrProvince', '2.5.4.8'],
  ['locality', '2.5.4.7'],
  ['organization', '2.5.4.10'],
  ['organizationalUnit', '2.5.4.11'],
  ['commonName', '2.5.4.3'],
  ['serialNumber', '2.5.4.5'],
];

/**
 * Parses a CSR (DER bytes, or PEM text labelled CERTIFICATE REQUEST or NEW CERTIFICATE REQUEST) and
 * verifies its self-signature. Errors: `malformed-csr`, `unsupported-key-type` (anything but P-256,
 * P-384, RSA-2048, RSA-3072), `bad-csr-signature`.
 */
export async function parseCsr(input: Uint8Array | string): Promise<ParsedCsr> {
  const der = typeof input === 'string' ? csrFromPem(input) : input;
  let csr: x509.Pkcs10CertificateRequest;
  let publicKeySpki: Uint8Array;
  let subject: string;
  let requestedSubject: DistinguishedName;
  let requestedSubjectAltNames: SubjectAltNames;
  try {
    if (!isSingleDerSequence(der)) throw new Error('not a single DER SEQUENCE');
    csr = new x509.Pkcs10CertificateRequest(der);
    publicKeySpki = new Uint8Array(csr.publicKey.rawData);
    subject = csr.subject;
    requestedSubject = readSubject(csr.subjectName);
    const san = csr.getExtension(SUBJECT_ALT_NAME);
    requestedSubjectAltNames = fromGeneralNames(
      san ? new x509.SubjectAlternativeNameExtension(san.rawData).names.toJSON() : [],
    );
  } catch (cause) {
    throw new PkiError('malformed-csr', 'not a PKCS#10 certificate request', { cause });
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(publicKeySpki), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new PkiError('unsupported-key-type', 'the request carries a public key this system cannot read', {
      cause,
    });
  }
  const keySpec = keySpecOf(publicKey);
  if (!keySpec) {
    throw new PkiError('unsupported-key-type', 'the requested key is not P-256, P-384, RSA-2048 or RSA-3072');
  }
  let signatureValid: boolean;
  try {
    signatureValid = await csr.verify(nodeWebCrypto);
  } catch {
    signatureValid = false;
  }
  if (!signatureValid) throw new PkiError('bad-csr-signature', 'the request is not signed by its own key');
  return {
    der: Uint8Array.from(der),
    subject,
    requestedSubject,
    requestedSubjectAltNames,
    publicKey,
    publicKeySpki,
    keySpec,
  };
}

function csrFromPem(pem: string): Uint8Array {
  let blocks: Uint8Array[];
  try {
    blocks = [...pemToDerAll(pem, 'CERTIFICATE REQUEST'), ...pemToDerAll(pem, 'NEW CERTIFICATE REQUEST')];
  } catch (cause) {
    throw new PkiError('malformed-csr', 'the CSR PEM block holds invalid base64', { cause });
  }
  if (blocks.length !== 1) {
    throw new PkiError('malformed-csr', `expected one CERTIFICATE REQUEST PEM block, found ${blocks.length}`);
  }
  return blocks[0]!;
}

function readSubject(name: x509.Name): DistinguishedName {
  const subject: Partial<Record<keyof DistinguishedName, string>> = {};
  for (const [field, oid] of SUBJECT_FIELDS) {
    const first = name.getField(oid)[0];
    if (first !== undefined) subject[field] = first;
  }
  return subject;
}
