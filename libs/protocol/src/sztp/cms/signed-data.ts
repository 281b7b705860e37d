import { constants, createHash, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { bytesEqual } from '../binary';
import { SztpVerificationError } from '../errors';
import { Oid } from '../oids';
import {
  digestForSignature,
  digestNameForOid,
  digestOid,
  signatureAlgorithmIdentifier,
  verifyParameters,
  type DigestName,
} from './algorithms';
import { Asn1Reader, type Asn1 } from './asn1';
import { parseCertificate, type CertificateInfo } from './certificate';
import { namesMatch } from './name';
import { concat, der, setOfContent, tlv } from './der';
import { type CmsSigner } from './signer';

/**
 * CMS SignedData (RFC 5652 section 5) as SZTP uses it: one signer, encapsulated content, the
 * signer identified by issuerAndSerialNumber, signed attributes contentType + messageDigest
 * (+ signingTime when the caller supplies a time; this library reads no clock).
 */
const reader: Asn1Reader = new Asn1Reader('malformed-cms');

export interface SignOptions {
  /**
   * Certificates for SignedData.certificates, in this order (DER). Default: the signer's
   * certificate alone. Pass `[]` to include none (the verifier then needs the certificate from
   * elsewhere, e.g. SZTP's separate owner-certificate artifact).
   */
  readonly certificates?: readonly Uint8Array[];
  /** Adds a signingTime signed attribute. */
  readonly signingTime?: Date;
}

function contentInfo(contentType: string, content: Uint8Array): Uint8Array {
  return der.sequence(der.oid(contentType), der.explicit(0, content));
}

function attribute(type: string, value: Uint8Array): Uint8Array {
  return der.sequence(der.oid(type), der.setOf([value]));
}

/** Signs `content` as a DER ContentInfo(SignedData) with the given eContentType. */
export async function signCms(
  content: Uint8Array,
  eContentType: string,
  signer: CmsSigner,
  options: SignOptions = {},
): Promise<Uint8Array> {
  const certificate = parseCertificate(signer.certificate);
  const digest = digestForSignature(signer.algorithm);
  const digestAlgorithm = der.algorithmIdentifier(digestOid(digest));
  const attributes = [
    attribute(Oid.contentTypeAttr, der.oid(eContentType)),
    attribute(Oid.messageDigestAttr, der.octetString(createHash(digest).update(content).digest())),
    ...(options.signingTime ? [attribute(Oid.signingTimeAttr, der.time(options.signingTime))] : []),
  ];
  // Carried as [0] IMPLICIT; the signature covers the same content under the SET OF tag (0x31).
  const attributesContent = setOfContent(attributes);
  const signature = await signer.sign(tlv(0x31, attributesContent));
  const signerInfo = der.sequence(
    der.integer(1),
    der.sequence(certificate.issuer, tlv(0x02, certificate.serialNumber)),
    digestAlgorithm,
    der.implicitConstructed(0, attributesContent),
    signatureAlgorithmIdentifier(signer.algorithm),
    der.octetString(signature),
  );
  const certificates = options.certificates ?? [signer.certificate];
  const signedData = der.sequence(
    // RFC 5652 5.1: version 3 when eContentType is not id-data, else 1 (issuerAndSerialNumber sid).
    der.integer(eContentType === Oid.data ? 1 : 3),
    der.setOf([digestAlgorithm]),
    der.sequence(der.oid(eContentType), der.explicit(0, der.octetString(content))),
    ...(certificates.length > 0 ? [der.implicitConstructed(0, concat(certificates))] : []),
    der.setOf([signerInfo]),
  );
  return contentInfo(Oid.signedData, signedData);
}

/** DER ContentInfo carrying `content` directly (unsigned SZTP conveyed information). */
export function encodeContentInfo(contentType: string, content: Uint8Array): Uint8Array {
  return contentInfo(contentType, der.octetString(content));
}

/**
 * A degenerate ("certs-only") SignedData: no content, no signers, just certificates (RFC 5652
 * section 5.2; what `openssl crl2pkcs7 -nocrl` writes). Used for owner-certificate and
 * trust-anchor artifacts. Certificates are kept in the order given.
 */
export function encodeCertsOnly(certificates: readonly Uint8Array[]): Uint8Array {
  if (certificates.length === 0)
    throw new SztpVerificationError('invalid-input', 'a certificate bag needs a certificate');
  for (const certificate of certificates) parseCertificate(certificate);
  const signedData = der.sequence(
    der.integer(1),
    der.setOf([]),
    der.sequence(der.oid(Oid.data)),
    der.implicitConstructed(0, concat(certificates)),
    der.setOf([]),
  );
  return contentInfo(Oid.signedData, signedData);
}

export interface ParsedSignerInfo {
  /** issuerAndSerialNumber, or subjectKeyIdentifier for version-3 SignerInfos. */
  readonly sid:
    | { readonly issuer: Uint8Array; readonly serialNumber: Uint8Array }
    | { readonly subjectKeyIdentifier: Uint8Array };
  readonly digestAlgorithm: string;
  /** Signed attributes re-tagged as SET OF (the signed bytes), with the two CMS-mandated values. */
  readonly signedAttributes?: {
    readonly der: Uint8Array;
    readonly contentType?: string;
    readonly messageDigest?: Uint8Array;
  };
  readonly signatureAlgorithm: string;
  readonly signatureParameters?: Asn1;
  readonly signature: Uint8Array;
}

export interface ParsedSignedData {
  readonly eContentType: string;
  /** Undefined for detached signatures and certs-only bags. */
  readonly eContent?: Uint8Array;
  /** DER certificates (other certificate formats are skipped). */
  readonly certificates: readonly Uint8Array[];
  readonly signerInfos: readonly ParsedSignerInfo[];
}

/** Top-level ContentInfo: its content type and the content element. */
export function decodeContentInfo(bytes: Uint8Array): { contentType: string; content: Asn1 } {
  const fields = reader.sequence(reader.parse(bytes, 'ContentInfo'), 'ContentInfo');
  const contentType = reader.oid(fields[0], 'ContentInfo contentType');
  const [content] = reader.tagged(fields[1], 0, 'ContentInfo content');
  if (content === undefined || fields.length !== 2) reader.fail('ContentInfo');
  return { contentType, content };
}

function parseAttributes(node: Asn1): NonNullable<ParsedSignerInfo['signedAttributes']> {
  const raw = reader.raw(node);
  const attributes = reader.tagged(node, 0, 'signedAttrs');
  let contentType: string | undefined;
  let messageDigest: Uint8Array | undefined;
  for (const attr of attributes) {
    const [type, values] = reader.sequence(attr, 'Attribute');
    const oid = reader.oid(type, 'Attribute type');
    const set = reader.set(values, 'Attribute values');
    if (oid === Oid.contentTypeAttr || oid === Oid.messageDigestAttr) {
      // RFC 5652 11.1/11.2: exactly one value, and the attribute itself only once.
      if (set.length !== 1) reader.fail('signed attribute (must have one value)');
      if ((oid === Oid.contentTypeAttr ? contentType : messageDigest) !== undefined) {
        reader.fail('signed attributes (duplicate attribute)');
      }
      if (oid === Oid.contentTypeAttr) contentType = reader.oid(set[0], 'contentType attribute');
      else messageDigest = reader.octets(set[0], 'messageDigest attribute');
    }
  }
  // The signature is over the DER encoding with the EXPLICIT SET OF tag (RFC 5652 5.4).
  const signed = Uint8Array.from(raw);
  signed[0] = 0x31;
  return {
    der: signed,
    ...(contentType !== undefined ? { contentType } : {}),
    ...(messageDigest !== undefined ? { messageDigest } : {}),
  };
}

/**
 * A DigestAlgorithmIdentifier: the OID, and for the SHA-2 digests no parameters or NULL (RFC 5754
 * section 2), nothing else.
 */
function readDigestAlgorithm(node: Asn1 | undefined): string {
  const [oid, parameters, ...rest] = reader.sequence(node, 'digestAlgorithm');
  const name = reader.oid(oid, 'digestAlgorithm');
  if (rest.length > 0) reader.fail('digestAlgorithm');
  if (parameters !== undefined && digestNameForOid(name) !== undefined) {
    if (
      !reader.isNull(parameters) ||
      parameters.constructed ||
      parameters.contentEnd !== parameters.contentStart
    )
      reader.fail('digestAlgorithm parameters');
  }
  return name;
}

function parseSignerInfo(node: Asn1): ParsedSignerInfo {
  const fields = reader.sequence(node, 'SignerInfo');
  const version = reader.smallInteger(fields[0], 'SignerInfo version');
  let sid: ParsedSignerInfo['sid'];
  if (version === 1) {
    const [issuer, serial] = reader.sequence(fields[1], 'IssuerAndSerialNumber');
    if (issuer === undefined) reader.fail('IssuerAndSerialNumber');
    reader.sequence(issuer, 'IssuerAndSerialNumber issuer');
    sid = { issuer: reader.raw(issuer), serialNumber: reader.integerContent(serial, 'serialNumber') };
  } else if (version === 3 && reader.contextTag(fields[1]) === 0) {
    sid = { subjectKeyIdentifier: reader.primitiveContent(fields[1], 'subjectKeyIdentifier') };
  } else {
    reader.fail('SignerInfo sid');
  }
  const digestAlgorithm = readDigestAlgorithm(fields[2]);
  let index = 3;
  const signedAttributes =
    reader.contextTag(fields[index]) === 0 ? parseAttributes(fields[index++]!) : undefined;
  const [signatureOid, signatureParameters] = reader.sequence(fields[index++], 'signatureAlgorithm');
  const signatureAlgorithm = reader.oid(signatureOid, 'signatureAlgorithm');
  const signature = reader.octets(fields[index++], 'signature');
  // unsignedAttrs [1], once at most; nothing else follows (RFC 5652 5.3 has no extension marker).
  if (reader.contextTag(fields[index]) === 1) index++;
  if (fields.length !== index) reader.fail('SignerInfo');
  return {
    sid,
    digestAlgorithm,
    ...(signedAttributes ? { signedAttributes } : {}),
    signatureAlgorithm,
    ...(signatureParameters ? { signatureParameters } : {}),
    signature,
  };
}

/** Parses a DER/BER ContentInfo that must hold SignedData. */
export function decodeSignedData(bytes: Uint8Array): ParsedSignedData {
  const { contentType, content } = decodeContentInfo(bytes);
  if (contentType !== Oid.signedData) {
    throw new SztpVerificationError('unexpected-content-type', `expected SignedData, found ${contentType}`);
  }
  return parseSignedDataContent(content);
}

export function parseSignedDataContent(content: Asn1): ParsedSignedData {
  const fields = reader.sequence(content, 'SignedData');
  // RFC 5652 5.1 allows 1, 3, 4, 5 (Go's pkcs7 writes 1 whatever the content type, so no stricter).
  if (![1, 3, 4, 5].includes(reader.smallInteger(fields[0], 'SignedData version')))
    reader.fail('SignedData version');
  for (const algorithm of reader.set(fields[1], 'digestAlgorithms')) readDigestAlgorithm(algorithm);
  const encap = reader.sequence(fields[2], 'EncapsulatedContentInfo');
  if (encap.length > 2) reader.fail('EncapsulatedContentInfo');
  const eContentType = reader.oid(encap[0], 'eContentType');
  const eContent =
    encap[1] === undefined ? undefined : reader.octets(reader.tagged(encap[1], 0, 'eContent')[0], 'eContent');
  let index = 3;
  const certificates: Uint8Array[] = [];
  if (reader.contextTag(fields[index]) === 0) {
    for (const choice of reader.tagged(fields[index], 0, 'certificates')) {
      // CertificateChoices (RFC 5652 10.2.2): only the plain Certificate (a universal SEQUENCE) is
      // used by SZTP; the other choices ([0] to [3], constructed) are skipped, anything else refused.
      const other: Asn1 = choice;
      if (reader.isSequence(choice)) certificates.push(reader.raw(choice));
      else if (!(other.constructed && (reader.contextTag(other) ?? 4) <= 3))
        reader.fail('CertificateChoices');
    }
    index++;
  }
  if (reader.contextTag(fields[index]) === 1) index++; // crls: not used
  const signerInfos = reader.set(fields[index], 'signerInfos').map(parseSignerInfo);
  if (fields.length !== index + 1) reader.fail('SignedData');
  return { eContentType, ...(eContent ? { eContent } : {}), certificates, signerInfos };
}

function matchesSid(sid: ParsedSignerInfo['sid'], certificate: CertificateInfo): boolean {
  if ('subjectKeyIdentifier' in sid) {
    return (
      certificate.subjectKeyIdentifier !== undefined &&
      bytesEqual(certificate.subjectKeyIdentifier, sid.subjectKeyIdentifier)
    );
  }
  // Names as RFC 5280 7.1 compares them (another string type or BER lengths in the SignedData
  // still name the same issuer), serial numbers by value.
  return bytesEqual(sid.serialNumber, certificate.serialNumber) && namesMatch(sid.issuer, certificate.issuer);
}

/** Finds the certificate a SignerInfo names among the candidates. */
export function findSignerCertificate(
  signerInfo: ParsedSignerInfo,
  candidates: readonly CertificateInfo[],
): CertificateInfo | undefined {
  return candidates.find((c) => matchesSid(signerInfo.sid, c));
}

/** The single SignerInfo SZTP artifacts carry. */
export function singleSignerInfo(signedData: ParsedSignedData): ParsedSignerInfo {
  if (signedData.signerInfos.length !== 1) {
    throw new SztpVerificationError(
      'signer-count',
      `expected one signer, found ${signedData.signerInfos.length}`,
    );
  }
  return signedData.signerInfos[0]!;
}

/**
 * Verifies one SignerInfo against a certificate: message digest and content-type attributes, then
 * the signature. Content must be encapsulated (detached signatures are not used by SZTP).
 */
export function verifySignerInfo(
  signedData: ParsedSignedData,
  signerInfo: ParsedSignerInfo,
  certificate: CertificateInfo,
): void {
  const content = signedData.eContent;
  if (content === undefined)
    throw new SztpVerificationError('malformed-cms', 'SignedData has no encapsulated content');
  const digest: DigestName | undefined = digestNameForOid(signerInfo.digestAlgorithm);
  if (digest === undefined) {
    throw new SztpVerificationError(
      'unsupported-algorithm',
      `unsupported digest ${signerInfo.digestAlgorithm}`,
    );
  }
  let signedBytes: Uint8Array;
  const attributes = signerInfo.signedAttributes;
  if (attributes !== undefined) {
    if (attributes.contentType !== signedData.eContentType) {
      throw new SztpVerificationError(
        'bad-signature',
        'signed content-type attribute does not match eContentType',
      );
    }
    const actual = createHash(digest).update(content).digest();
    if (attributes.messageDigest === undefined || !bytesEqual(actual, attributes.messageDigest)) {
      throw new SztpVerificationError('bad-signature', 'message digest does not match the content');
    }
    signedBytes = attributes.der;
  } else {
    // RFC 5652 5.3: signed attributes may only be omitted for id-data content.
    if (signedData.eContentType !== Oid.data) {
      throw new SztpVerificationError(
        'bad-signature',
        'signed attributes are required for this content type',
      );
    }
    signedBytes = content;
  }
  const parameters = verifyParameters(digest, signerInfo.signatureAlgorithm, signerInfo.signatureParameters);
  // The signature algorithm must be one for the certificate's key: node:crypto would otherwise
  // verify an RSA signature labelled ecdsa-with-SHA256 with the RSA key (found by the differential
  // test against pkijs).
  let publicKey: KeyObject;
  try {
    publicKey = certificate.x509.publicKey;
  } catch {
    // OpenSSL decodes the key on first use: a damaged one surfaces here.
    throw new SztpVerificationError('malformed-certificate', 'the signer certificate key does not decode');
  }
  const keyType = publicKey.asymmetricKeyType;
  const expected =
    parameters.hash === null ? ['ed25519'] : parameters.padding === undefined ? ['ec'] : ['rsa', 'rsa-pss'];
  if (keyType === undefined || !expected.includes(keyType)) {
    throw new SztpVerificationError(
      'bad-signature',
      `signature algorithm ${signerInfo.signatureAlgorithm} does not fit the signer's ${keyType ?? 'unknown'} key`,
    );
  }
  let valid: boolean;
  try {
    valid = nodeVerify(
      parameters.hash,
      signedBytes,
      parameters.padding === undefined
        ? { key: publicKey, dsaEncoding: 'der' }
        : {
            key: publicKey,
            padding:
              parameters.padding === 'pss' ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING,
            ...(parameters.saltLength !== undefined ? { saltLength: parameters.saltLength } : {}),
          },
      signerInfo.signature,
    );
  } catch {
    valid = false;
  }
  if (!valid)
    throw new SztpVerificationError('bad-signature', 'signature does not verify with the signer certificate');
}

export interface VerifiedSignedData {
  readonly eContentType: string;
  readonly content: Uint8Array;
  readonly signerCertificate: CertificateInfo;
  /** Parsed certificates carried in the SignedData. */
  readonly certificates: readonly CertificateInfo[];
}

/**
 * Decodes and verifies a single-signer SignedData. The signer certificate is looked up first in
 * `signerCandidates` (e.g. the owner certificate, or a pinned MASA certificate), then, unless
 * `useEmbeddedCertificates` is false, among the certificates carried in the CMS. Which of those is
 * trusted is the caller's decision (see buildCertificatePath).
 */
export function verifySignedData(
  bytes: Uint8Array,
  options: {
    readonly allowedContentTypes: readonly string[];
    readonly signerCandidates?: readonly Uint8Array[];
    readonly useEmbeddedCertificates?: boolean;
  },
): VerifiedSignedData {
  const signedData = decodeSignedData(bytes);
  if (!options.allowedContentTypes.includes(signedData.eContentType)) {
    throw new SztpVerificationError(
      'unexpected-content-type',
      `eContentType ${signedData.eContentType} is not accepted here`,
    );
  }
  const signerInfo = singleSignerInfo(signedData);
  const embedded = signedData.certificates.map(parseCertificate);
  const candidates = [
    ...(options.signerCandidates ?? []).map(parseCertificate),
    ...(options.useEmbeddedCertificates === false ? [] : embedded),
  ];
  const signerCertificate = findSignerCertificate(signerInfo, candidates);
  if (signerCertificate === undefined) {
    throw new SztpVerificationError('signer-not-found', 'no certificate matches the signer identifier');
  }
  verifySignerInfo(signedData, signerInfo, signerCertificate);
  return {
    eContentType: signedData.eContentType,
    content: signedData.eContent!,
    signerCertificate,
    certificates: embedded,
  };
}

/** Certificates of a certs-only bag (owner-certificate, trust-anchor). Signers are refused. */
export function decodeCertsOnly(bytes: Uint8Array): Uint8Array[] {
  const signedData = decodeSignedData(bytes);
  if (signedData.signerInfos.length !== 0 || signedData.eContent !== undefined) {
    throw new SztpVerificationError(
      'unexpected-content-type',
      'expected a certs-only (degenerate) SignedData',
    );
  }
  if (signedData.certificates.length === 0)
    throw new SztpVerificationError('malformed-cms', 'the bag holds no certificate');
  for (const certificate of signedData.certificates) parseCertificate(certificate);
  return [...signedData.certificates];
}
