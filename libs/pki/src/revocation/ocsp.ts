import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SigAlg } from '@ztp/protocol';
import { type Signer } from '@ztp/protocol/cose/signer';
import { PkiError } from '../errors';
import { REVOCATION_REASONS, type RevocationReason } from './reasons';

const NONCE_OID = '1.3.6.1.5.5.7.48.1.2';
const BASIC_RESPONSE_OID = '1.3.6.1.5.5.7.48.1.1';

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
  readonly raw: pkijs.CertID;
}

export interface ParsedOcspRequest {
  readonly certIds: readonly OcspCertId[];
  /** The nonce extension's extnValue as received, when the client sent one. */
  readonly nonce?: Uint8Array;
}

/** Parses a DER OCSPRequest; anything that is not one is a PkiError 'malformed-ocsp-request'. */
export function parseOcspRequest(der: Uint8Array): ParsedOcspRequest {
  let request: pkijs.OCSPRequest;
  try {
    const asn = asn1js.fromBER(der);
    if (asn.offset === -1 || asn.offset !== der.byteLength) throw new Error('not one DER value');
    request = new pkijs.OCSPRequest({ schema: asn.result });
  } catch (err) {
    throw new PkiError('malformed-ocsp-request', `not an OCSP request: ${(err as Error).message}`);
  }
  const list = request.tbsRequest.requestList;
  if (list.length === 0 || list.length > 16)
    throw new PkiError('malformed-ocsp-request', 'an OCSP request must ask about 1 to 16 certificates');
  const certIds = list.map(({ reqCert }) => ({
    hashAlgorithm: reqCert.hashAlgorithm.algorithmId,
    issuerNameHash: new Uint8Array(reqCert.issuerNameHash.valueBlock.valueHexView),
    issuerKeyHash: new Uint8Array(reqCert.issuerKeyHash.valueBlock.valueHexView),
    serialNumber: serialHex(reqCert.serialNumber.valueBlock.valueHexView),
    raw: reqCert,
  }));
  const nonce = request.tbsRequest.requestExtensions?.find((e) => e.extnID === NONCE_OID);
  return { certIds, nonce: nonce && new Uint8Array(nonce.extnValue.valueBlock.valueHexView) };
}

/** The issuer identity a CertID names: hashes of its subject Name and public key, per RFC 6960 4.1.1. */
export class OcspIssuer {
  private readonly subjectDer: Uint8Array;
  private readonly publicKeyBits: Uint8Array;
  private readonly certificate: pkijs.Certificate;

  constructor(issuerCertificate: Uint8Array) {
    this.certificate = pkijs.Certificate.fromBER(issuerCertificate);
    this.subjectDer = new Uint8Array(this.certificate.subject.toSchema().toBER());
    this.publicKeyBits = new Uint8Array(
      this.certificate.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView,
    );
  }

  /** Whether `certId` names this issuer (with any hash algorithm we know). */
  issued(certId: OcspCertId): boolean {
    const hash = CERT_ID_HASHES[certId.hashAlgorithm];
    if (!hash) return false;
    return (
      Buffer.from(createHash(hash).update(this.subjectDer).digest()).equals(certId.issuerNameHash) &&
      Buffer.from(createHash(hash).update(this.publicKeyBits).digest()).equals(certId.issuerKeyHash)
    );
  }

  get subject(): pkijs.RelativeDistinguishedNames {
    return this.certificate.subject;
  }

  get pkijsCertificate(): pkijs.Certificate {
    return this.certificate;
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
  const data = new pkijs.ResponseData({
    responderID: params.issuer.subject,
    producedAt: params.producedAt,
    responses: params.answers.map(
      (answer) =>
        new pkijs.SingleResponse({
          certID: answer.certId.raw,
          certStatus: certStatus(answer.status),
          thisUpdate: params.thisUpdate,
          nextUpdate: params.nextUpdate,
        }),
    ),
  });
  if (params.nonce) {
    data.responseExtensions = [
      new pkijs.Extension({
        extnID: NONCE_OID,
        critical: false,
        extnValue: params.nonce.slice().buffer,
      }),
    ];
  }
  data.tbsView = new Uint8Array(data.toSchema(true).toBER());
  const signature = toDer(await signer.sign(data.tbsView));
  const basic = new pkijs.BasicOCSPResponse({
    tbsResponseData: data,
    signatureAlgorithm,
    signature: new asn1js.BitString({ valueHex: signature }),
    certs: [params.issuer.pkijsCertificate],
  });
  const response = new pkijs.OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: RESPONSE_STATUS.successful }),
    responseBytes: new pkijs.ResponseBytes({
      responseType: BASIC_RESPONSE_OID,
      response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER() }),
    }),
  });
  return new Uint8Array(response.toSchema().toBER());
}

/** An unsuccessful OCSPResponse (unsigned, as RFC 6960 4.2.1 has it). */
export function ocspErrorResponse(status: OcspErrorStatus): Uint8Array {
  const response = new pkijs.OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: RESPONSE_STATUS[status] }),
  });
  return new Uint8Array(response.toSchema().toBER());
}

function certStatus(status: OcspCertStatus): asn1js.BaseBlock {
  switch (status.status) {
    case 'good':
      return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, lenBlock: { length: 0 } });
    case 'unknown':
      return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 }, lenBlock: { length: 0 } });
    case 'revoked': {
      const value: asn1js.BaseBlock[] = [new asn1js.GeneralizedTime({ valueDate: status.revokedAt })];
      if (status.reason !== 'unspecified')
        value.push(
          new asn1js.Constructed({
            idBlock: { tagClass: 3, tagNumber: 0 },
            value: [new asn1js.Enumerated({ value: REVOCATION_REASONS[status.reason] })],
          }),
        );
      return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value });
    }
  }
}

/** The X.509 signature AlgorithmIdentifier for a COSE alg, and how to turn the Signer's output into it. */
function signatureForm(alg: SigAlg): {
  signatureAlgorithm: pkijs.AlgorithmIdentifier;
  toDer: (signature: Uint8Array) => Uint8Array;
} {
  const ecdsa = (oid: string) => ({
    signatureAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: oid }),
    toDer: p1363ToDer,
  });
  const rsa = (oid: string) => ({
    signatureAlgorithm: new pkijs.AlgorithmIdentifier({
      algorithmId: oid,
      algorithmParams: new asn1js.Null(),
    }),
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
  const integer = (bytes: Uint8Array) => {
    let start = 0;
    while (start < bytes.byteLength - 1 && bytes[start] === 0) start++;
    const trimmed = bytes.subarray(start);
    const value = trimmed[0]! & 0x80 ? Buffer.concat([Buffer.of(0), trimmed]) : Buffer.from(trimmed);
    return new asn1js.Integer({ valueHex: value });
  };
  const sequence = new asn1js.Sequence({
    value: [integer(signature.subarray(0, half)), integer(signature.subarray(half))],
  });
  return new Uint8Array(sequence.toBER());
}

function serialHex(bytes: Uint8Array): string {
  let start = 0;
  while (start < bytes.byteLength - 1 && bytes[start] === 0) start++;
  return Buffer.from(bytes.subarray(start)).toString('hex');
}
