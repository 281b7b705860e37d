import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SigAlg } from '@ztp/protocol';
import { type Signer } from '@ztp/protocol/cose/signer';
import { PkiError } from '../errors';
import { REVOCATION_REASONS, type RevocationReason } from './reasons';
import {
  decodeOid,
  encodeOid,
  expectTlv,
  generalizedTime,
  readTlv,
  type Tlv,
  tlv,
  unsignedInteger,
} from '../x509/der-codec';

const NONCE_OID = '1.3.6.1.5.5.7.48.1.2';
const BASIC_RESPONSE_OID = '1.3.6.1.5.5.7.48.1.1';
const NONCE_OID_DER = encodeOid(NONCE_OID);
const BASIC_RESPONSE_OID_DER = encodeOid(BASIC_RESPONSE_OID);

/** Hash algorithms a CertID may use, by OID. */
const CERT_ID_HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** RFC 6960 4.2.1 OCSPResponseStatus values other than successful. */
export type OcspErrorStatus =
  'malformedRequest' | 'internalError' | 'tryLater' | 'sigRequired' | 'unauthorized';
const RESPONSE_STATUS: Record<OcspErrorStatus | 'successful', number> = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
};

/** One CertID of a request, with its bytes kept to echo them in the answer. */
export interface OcspCertId {
  readonly hashAlgorithm: string;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
  /** Serial number, hex, lower case, no leading zero bytes. */
  readonly serialNumber: string;
  /** The CertID's DER, echoed in the answer. */
  readonly der: Uint8Array;
}

export interface ParsedOcspRequest {
  readonly certIds: readonly OcspCertId[];
  /** The nonce extension's extnValue as received, when the client sent one. */
  readonly nonce?: Uint8Array;
}

/**
 * Parses a DER OCSPRequest (a signature, if any, is ignored: requests are not authenticated);
 * anything that is not one is a PkiError 'malformed-ocsp-request'. By hand (ocsp-der.ts), as this is
 * the responder's hot path.
 */
export function parseOcspRequest(der: Uint8Array): ParsedOcspRequest {
  const top = readTlv(der, 0, der.byteLength);
  if (top.tag !== 0x30 || top.end !== der.byteLength) throw malformedRequest('not one DER SEQUENCE');
  const tbs = expectTlv(der, top.start, top.end, 0x30, 'tbsRequest');
  if (tbs.end !== top.end) {
    const signature = readTlv(der, tbs.end, top.end);
    if (signature.tag !== 0xa0 || signature.end !== top.end) throw malformedRequest('after tbsRequest');
  }
  let item = readTlv(der, tbs.start, tbs.end);
  if (item.tag === 0xa0) {
    const version = expectTlv(der, item.start, item.end, 0x02, 'version');
    if (version.end !== item.end || version.end - version.start !== 1 || der[version.start] !== 0)
      throw malformedRequest('only version 1 is defined');
    item = readTlv(der, item.end, tbs.end);
  }
  if (item.tag === 0xa1) item = readTlv(der, item.end, tbs.end);
  if (item.tag !== 0x30) throw malformedRequest('requestList');
  const certIds: OcspCertId[] = [];
  for (let at = item.start; at < item.end;) {
    const request = expectTlv(der, at, item.end, 0x30, 'Request');
    certIds.push(readCertId(der, request));
    if (certIds.length > 16) break;
    at = request.end;
  }
  if (certIds.length === 0 || certIds.length > 16)
    throw new PkiError('malformed-ocsp-request', 'an OCSP request must ask about 1 to 16 certificates');
  let nonce: Uint8Array | undefined;
  if (item.end !== tbs.end) {
    const extensions = expectTlv(der, item.end, tbs.end, 0xa2, 'requestExtensions');
    if (extensions.end !== tbs.end) throw malformedRequest('after requestExtensions');
    const list = expectTlv(der, extensions.start, extensions.end, 0x30, 'Extensions');
    if (list.end !== extensions.end) throw malformedRequest('Extensions');
    for (let at = list.start; at < list.end;) {
      const extension = expectTlv(der, at, list.end, 0x30, 'Extension');
      const id = expectTlv(der, extension.start, extension.end, 0x06, 'extnID');
      let value = readTlv(der, id.end, extension.end);
      if (value.tag === 0x01) value = readTlv(der, value.end, extension.end);
      if (value.tag !== 0x04 || value.end !== extension.end) throw malformedRequest('extnValue');
      if (decodeOid(der.subarray(id.start, id.end)) === NONCE_OID) nonce = der.slice(value.start, value.end);
      at = extension.end;
    }
  }
  return nonce ? { certIds, nonce } : { certIds };
}

function readCertId(der: Uint8Array, request: Tlv): OcspCertId {
  const certId = expectTlv(der, request.start, request.end, 0x30, 'CertID');
  if (certId.end !== request.end) {
    const extensions = readTlv(der, certId.end, request.end);
    if (extensions.tag !== 0xa0 || extensions.end !== request.end) throw malformedRequest('after CertID');
  }
  const algorithm = expectTlv(der, certId.start, certId.end, 0x30, 'hashAlgorithm');
  const oid = expectTlv(der, algorithm.start, algorithm.end, 0x06, 'hashAlgorithm OID');
  if (oid.end !== algorithm.end) {
    const params = readTlv(der, oid.end, algorithm.end);
    if (params.tag !== 0x05 || params.end !== algorithm.end || params.start !== params.end)
      throw malformedRequest('hashAlgorithm parameters');
  }
  const nameHash = expectTlv(der, algorithm.end, certId.end, 0x04, 'issuerNameHash');
  const keyHash = expectTlv(der, nameHash.end, certId.end, 0x04, 'issuerKeyHash');
  const serial = expectTlv(der, keyHash.end, certId.end, 0x02, 'serialNumber');
  if (serial.end !== certId.end || serial.start === serial.end) throw malformedRequest('CertID');
  return {
    hashAlgorithm: decodeOid(der.subarray(oid.start, oid.end)),
    issuerNameHash: der.slice(nameHash.start, nameHash.end),
    issuerKeyHash: der.slice(keyHash.start, keyHash.end),
    serialNumber: serialHex(der.subarray(serial.start, serial.end)),
    der: der.slice(certId.offset, certId.end),
  };
}

const malformedRequest = (why: string) =>
  new PkiError('malformed-ocsp-request', `not an OCSP request: ${why}`);

/** The issuer identity a CertID names: hashes of its subject Name and public key, per RFC 6960 4.1.1. */
export class OcspIssuer {
  /** DER of the issuer's subject Name, the ResponderID byName of its answers. */
  readonly subjectDer: Uint8Array;
  private readonly publicKeyBits: Uint8Array;
  /** The issuer certificate's DER, included in its answers. */
  readonly certificateDer: Uint8Array;
  private readonly nameHashes = new Map<string, Buffer>();
  private readonly keyHashes = new Map<string, Buffer>();

  constructor(issuerCertificate: Uint8Array) {
    const certificate = pkijs.Certificate.fromBER(issuerCertificate);
    this.certificateDer = Uint8Array.from(issuerCertificate);
    this.subjectDer = new Uint8Array(certificate.subject.toSchema().toBER());
    this.publicKeyBits = new Uint8Array(
      certificate.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView,
    );
    // The hashes a CertID may use, once per issuer rather than per request.
    for (const [oid, hash] of Object.entries(CERT_ID_HASHES)) {
      this.nameHashes.set(oid, createHash(hash).update(this.subjectDer).digest());
      this.keyHashes.set(oid, createHash(hash).update(this.publicKeyBits).digest());
    }
  }

  /** Whether `certId` names this issuer (with any hash algorithm we know). */
  issued(certId: OcspCertId): boolean {
    const nameHash = this.nameHashes.get(certId.hashAlgorithm);
    const keyHash = this.keyHashes.get(certId.hashAlgorithm);
    return (
      !!nameHash &&
      !!keyHash &&
      nameHash.equals(certId.issuerNameHash) &&
      keyHash.equals(certId.issuerKeyHash)
    );
  }
}

export type OcspCertStatus =
  | { readonly status: 'good' }
  | { readonly status: 'unknown' }
  | { readonly status: 'revoked'; readonly revokedAt: Date; readonly reason: RevocationReason };

export interface OcspAnswer {
  readonly certId: OcspCertId;
  readonly status: OcspCertStatus;
}

export interface OcspResponseParams {
  readonly issuer: OcspIssuer;
  readonly answers: readonly OcspAnswer[];
  readonly producedAt: Date;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  /** The request's nonce, echoed as received. */
  readonly nonce?: Uint8Array;
}

/**
 * A successful OCSPResponse (DER) whose BasicOCSPResponse is signed by `signer` (the issuing CA's
 * custody key: the CA answers for itself, so there is no delegated responder certificate; the CA
 * certificate is included so a client that was not given it can still find the signer).
 * ResponderID is the CA's subject name.
 */
export async function createOcspResponse(signer: Signer, params: OcspResponseParams): Promise<Uint8Array> {
  const { signatureAlgorithm, toDer } = signatureForm(signer.alg);
  const thisUpdate = generalizedTime(params.thisUpdate);
  const nextUpdate = params.nextUpdate ? tlv(0xa0, generalizedTime(params.nextUpdate)) : new Uint8Array(0);
  const responses = params.answers.map((answer) =>
    tlv(0x30, answer.certId.der, certStatus(answer.status), thisUpdate, nextUpdate),
  );
  const extensions = params.nonce
    ? [tlv(0xa1, tlv(0x30, tlv(0x30, NONCE_OID_DER, tlv(0x04, params.nonce))))]
    : [];
  const tbs = tlv(
    0x30,
    tlv(0xa1, params.issuer.subjectDer),
    generalizedTime(params.producedAt),
    tlv(0x30, ...responses),
    ...extensions,
  );
  const signature = toDer(await signer.sign(tbs));
  const basic = tlv(
    0x30,
    tbs,
    signatureAlgorithm,
    tlv(0x03, Uint8Array.of(0), signature),
    tlv(0xa0, tlv(0x30, params.issuer.certificateDer)),
  );
  return tlv(
    0x30,
    tlv(0x0a, Uint8Array.of(RESPONSE_STATUS.successful)),
    tlv(0xa0, tlv(0x30, BASIC_RESPONSE_OID_DER, tlv(0x04, basic))),
  );
}

/** An unsuccessful OCSPResponse (unsigned, as RFC 6960 4.2.1 has it). */
export function ocspErrorResponse(status: OcspErrorStatus): Uint8Array {
  const response = new pkijs.OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: RESPONSE_STATUS[status] }),
  });
  return new Uint8Array(response.toSchema().toBER());
}

function certStatus(status: OcspCertStatus): Uint8Array {
  switch (status.status) {
    case 'good':
      return Uint8Array.of(0x80, 0x00);
    case 'unknown':
      return Uint8Array.of(0x82, 0x00);
    case 'revoked':
      return tlv(
        0xa1,
        generalizedTime(status.revokedAt),
        ...(status.reason === 'unspecified'
          ? []
          : [tlv(0xa0, tlv(0x0a, Uint8Array.of(REVOCATION_REASONS[status.reason])))]),
      );
  }
}

/** The X.509 signature AlgorithmIdentifier (DER) for a COSE alg, and how to turn the Signer's output into it. */
function signatureForm(alg: SigAlg): {
  signatureAlgorithm: Uint8Array;
  toDer: (signature: Uint8Array) => Uint8Array;
} {
  const ecdsa = (oid: string) => ({ signatureAlgorithm: tlv(0x30, encodeOid(oid)), toDer: p1363ToDer });
  const rsa = (oid: string) => ({
    signatureAlgorithm: tlv(0x30, encodeOid(oid), Uint8Array.of(0x05, 0x00)),
    toDer: (signature: Uint8Array) => signature,
  });
  switch (alg) {
    case SigAlg.ES256:
      return ecdsa('1.2.840.10045.4.3.2');
    case SigAlg.ES384:
      return ecdsa('1.2.840.10045.4.3.3');
    case SigAlg.RS256:
      return rsa('1.2.840.113549.1.1.11');
    case SigAlg.RS384:
      return rsa('1.2.840.113549.1.1.12');
    default:
      throw new PkiError(
        'unsupported-signature-algorithm',
        `OCSP responses are not signed with COSE alg ${alg}`,
      );
  }
}

/** ECDSA r||s (what a Signer returns) as the DER SEQUENCE { r INTEGER, s INTEGER } X.509 uses. */
function p1363ToDer(signature: Uint8Array): Uint8Array {
  const half = signature.byteLength / 2;
  return tlv(0x30, unsignedInteger(signature.subarray(0, half)), unsignedInteger(signature.subarray(half)));
}

function serialHex(bytes: Uint8Array): string {
  let start = 0;
  while (start < bytes.byteLength - 1 && bytes[start] === 0) start++;
  return Buffer.from(bytes.subarray(start)).toString('hex');
}
