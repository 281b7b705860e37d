import * as asn1js from 'asn1js';
import { PkiError } from '../errors';
import { type KeySpec } from '../key-spec';
import { encodeOid, tlv } from '../x509/der-codec';
import { x509 } from '../x509/runtime';

/** RFC 7030 media types. */
export const EST_MEDIA_TYPES = {
  /** 4.1.3, 4.2.3: a degenerate CMS SignedData carrying certificates only. */
  certsOnly: 'application/pkcs7-mime; smime-type=certs-only',
  /** 4.2.1: a PKCS#10 request. */
  pkcs10: 'application/pkcs10',
  /** 4.5.2. */
  csrAttrs: 'application/csrattrs',
} as const;

/** Bodies of EST requests and answers are base64 (RFC 7030 4, Content-Transfer-Encoding: base64). */
export function estBase64Encode(der: Uint8Array): string {
  const text = Buffer.from(der).toString('base64');
  return text.replace(/.{1,64}/g, '$&\r\n');
}

/** Base64 with any line breaks; `malformed-est-body` on anything else (or nothing). */
export function estBase64Decode(body: string | Uint8Array): Uint8Array {
  const text = (typeof body === 'string' ? body : Buffer.from(body).toString('latin1')).replace(/\s+/g, '');
  if (text.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 === 1)
    throw new PkiError('malformed-est-body', 'the body is not base64');
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/**
 * A certs-only CMS SignedData (RFC 5652 with no signers; RFC 7030 4.1.3) holding `certificates`,
 * in DER by hand: the certificates are copied as they are, with nothing to parse.
 */
export function certsOnly(certificates: readonly Uint8Array[]): Uint8Array {
  const signedData = tlv(
    0x30,
    Uint8Array.of(0x02, 0x01, 0x01),
    Uint8Array.of(0x31, 0x00),
    tlv(0x30, encodeOid(ID_DATA)),
    tlv(0xa0, ...sortedForSet(certificates)),
    Uint8Array.of(0x31, 0x00),
  );
  return tlv(0x30, encodeOid(ID_SIGNED_DATA), tlv(0xa0, signedData));
}

const ID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const ID_DATA = '1.2.840.113549.1.7.1';

/** DER orders SET OF elements by their encodings. */
function sortedForSet(elements: readonly Uint8Array[]): Uint8Array[] {
  return [...elements].sort((a, b) => Buffer.compare(a, b));
}

/** The certificates of a certs-only CMS message (DER each); `malformed-certificate` otherwise. */
export function parseCertsOnly(der: Uint8Array): Uint8Array[] {
  try {
    const list = new x509.X509Certificates(der);
    return list.map((certificate) => new Uint8Array(certificate.rawData));
  } catch (cause) {
    throw new PkiError('malformed-certificate', 'not a certs-only CMS message', { cause });
  }
}

const SIGNATURE_OIDS: Record<KeySpec, string> = {
  'P-256': '1.2.840.10045.4.3.2',
  'P-384': '1.2.840.10045.4.3.3',
  'RSA-2048': '1.2.840.113549.1.1.11',
  'RSA-3072': '1.2.840.113549.1.1.11',
};
const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const CURVES: Partial<Record<KeySpec, string>> = {
  'P-256': '1.2.840.10045.3.1.7',
  'P-384': '1.3.132.0.34',
};

/**
 * CsrAttrs (RFC 7030 4.5.2) telling a device what to send: the key type the owner issues for
 * (id-ecPublicKey with its curve, as in RFC 7030's example, or rsaEncryption) and the signature
 * algorithm. Subject and SANs are not asked for: the CA decides them.
 */
export function csrAttributes(spec: KeySpec): Uint8Array {
  const curve = CURVES[spec];
  const keyAttribute = curve
    ? new asn1js.Sequence({
        value: [
          new asn1js.ObjectIdentifier({ value: EC_PUBLIC_KEY }),
          new asn1js.Set({ value: [new asn1js.ObjectIdentifier({ value: curve })] }),
        ],
      })
    : new asn1js.ObjectIdentifier({ value: RSA_ENCRYPTION });
  const sequence = new asn1js.Sequence({
    value: [keyAttribute, new asn1js.ObjectIdentifier({ value: SIGNATURE_OIDS[spec] })],
  });
  return new Uint8Array(sequence.toBER(false));
}
