import { Asn1Reader } from './cms/asn1';
import {
  encodeConveyedInformation,
  parseConveyedInformation,
  type ConveyedInformation,
} from './conveyed-info';
import {
  decodeContentInfo,
  encodeContentInfo,
  signCms,
  verifySignedData,
  type SignOptions,
} from './cms/signed-data';
import { type CmsSigner } from './cms/signer';
import { SztpVerificationError } from './errors';
import { Oid } from './oids';
import { type Encoding, type ReadOptions } from './yang/reader';

/**
 * The conveyed-information artifact (RFC 8572 section 3.1). Unsigned: a ContentInfo whose content
 * type is id-ct-sztpConveyedInfoJSON (or …XML) and whose content is an OCTET STRING holding the
 * document. Signed: ContentInfo(SignedData) whose eContentType is one of those OIDs, signed with
 * the owner certificate's private key.
 */
const CONTENT_TYPE: Record<Encoding, string> = {
  json: Oid.sztpConveyedInfoJson,
  xml: Oid.sztpConveyedInfoXml,
};

function documentBytes(info: ConveyedInformation, encoding: Encoding): Uint8Array {
  return new TextEncoder().encode(encodeConveyedInformation(info, encoding));
}

/** Unsigned conveyed information (what OPI/fl-sztp agents and trusted-server setups expect). */
export function encodeUnsignedConveyedInformation(
  info: ConveyedInformation,
  encoding: Encoding = 'json',
): Uint8Array {
  return encodeContentInfo(CONTENT_TYPE[encoding], documentBytes(info, encoding));
}

export interface SignConveyedInformationOptions extends SignOptions {
  /** Default json (IOS-XE parses only id-ct-sztpConveyedInfoJSON). */
  readonly encoding?: Encoding;
}

/**
 * Signed conveyed information. By default the owner certificate is embedded in the SignedData as
 * well as being sent separately as the owner-certificate artifact: RFC 8572 does not require it,
 * but Cisco IOS-XE reports "owner certificate is missing" without it. Pass `certificates: []` to
 * leave it out, or the full chain to include intermediates.
 */
export function signConveyedInformation(
  info: ConveyedInformation,
  signer: CmsSigner,
  options: SignConveyedInformationOptions = {},
): Promise<Uint8Array> {
  const encoding = options.encoding ?? 'json';
  return signCms(documentBytes(info, encoding), CONTENT_TYPE[encoding], signer, options);
}

export interface OpenConveyedInformationOptions {
  /** DER owner certificate (from the owner-certificate artifact) to verify signed data with. */
  readonly ownerCertificate?: Uint8Array;
  /** Accept unsigned conveyed information (only from a trusted bootstrap server). Default false. */
  readonly allowUnsigned?: boolean;
  readonly parse?: ReadOptions;
}

export interface OpenedConveyedInformation {
  readonly info: ConveyedInformation;
  readonly encoding: Encoding;
  /** Content type as found: id-ct-sztpConveyedInfoJSON/XML, or id-data (Arista, open-sztp). */
  readonly contentType: string;
  readonly signed: boolean;
}

const ACCEPTED: readonly string[] = [Oid.sztpConveyedInfoJson, Oid.sztpConveyedInfoXml, Oid.data];

function encodingOf(contentType: string, content: Uint8Array): Encoding {
  if (contentType === Oid.sztpConveyedInfoJson) return 'json';
  if (contentType === Oid.sztpConveyedInfoXml) return 'xml';
  // id-data (`openssl cms -data_create` / `-sign` without -econtent_type): sniff the document.
  const first = new TextDecoder().decode(content.subarray(0, 64)).trimStart()[0];
  if (first === '{') return 'json';
  if (first === '<') return 'xml';
  throw new SztpVerificationError('unexpected-content-type', 'id-data content is neither JSON nor XML');
}

/**
 * Device side: verifies (when signed) and parses a conveyed-information artifact. Signed data is
 * verified only against `ownerCertificate`; certificates embedded in the CMS are not trusted.
 */
export function openConveyedInformation(
  artifact: Uint8Array,
  options: OpenConveyedInformationOptions = {},
): OpenedConveyedInformation {
  const { contentType, content } = decodeContentInfo(artifact);
  let documentType: string;
  let document: Uint8Array;
  let signed: boolean;
  if (contentType === Oid.signedData) {
    if (options.ownerCertificate === undefined) {
      throw new SztpVerificationError(
        'signer-not-found',
        'signed conveyed information needs the owner certificate',
      );
    }
    const verified = verifySignedData(artifact, {
      allowedContentTypes: ACCEPTED,
      signerCandidates: [options.ownerCertificate],
      useEmbeddedCertificates: false,
    });
    documentType = verified.eContentType;
    document = verified.content;
    signed = true;
  } else if (ACCEPTED.includes(contentType)) {
    if (!options.allowUnsigned) {
      throw new SztpVerificationError(
        'signature-required',
        'unsigned conveyed information is not accepted here',
      );
    }
    documentType = contentType;
    document = new Asn1Reader('malformed-cms').octets(
      content,
      'unsigned conveyed information (OCTET STRING)',
    );
    signed = false;
  } else {
    throw new SztpVerificationError(
      'unexpected-content-type',
      contentType === Oid.envelopedData
        ? 'encrypted conveyed information is not supported'
        : `content type ${contentType} is not conveyed information`,
    );
  }
  const encoding = encodingOf(documentType, document);
  return {
    info: parseConveyedInformation(document, encoding, options.parse),
    encoding,
    contentType: documentType,
    signed,
  };
}
