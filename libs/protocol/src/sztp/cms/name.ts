import { Asn1Reader, canonicalDer, type Asn1 } from './asn1';

/**
 * X.501 Name comparison as RFC 5280 section 7.1 asks (and OpenSSL's X509_NAME_cmp and pkijs do):
 * attribute by attribute, string values compared case-insensitively with leading, trailing and
 * repeated spaces ignored, whatever string type each side chose; other values by their DER.
 * Used to find the certificate a SignerInfo's issuerAndSerialNumber names: a CMS producer may
 * re-encode the issuer (another string type, BER lengths) and still mean the same name.
 */
const reader = new Asn1Reader('malformed-cms');

const STRING_DECODERS: Record<number, (bytes: Uint8Array) => string> = {
  12: (b) => new TextDecoder('utf-8', { fatal: true }).decode(b), // UTF8String
  18: (b) => Buffer.from(b).toString('latin1'), // NumericString
  19: (b) => Buffer.from(b).toString('latin1'), // PrintableString
  20: (b) => Buffer.from(b).toString('latin1'), // TeletexString (T.61, read as Latin-1)
  22: (b) => Buffer.from(b).toString('latin1'), // IA5String
  26: (b) => Buffer.from(b).toString('latin1'), // VisibleString
  28: (b) =>
    String.fromCodePoint(
      ...Array.from({ length: b.length / 4 }, (_, i) => Buffer.from(b).readUInt32BE(i * 4)),
    ), // UniversalString
  30: (b) => Buffer.from(b).swap16().toString('utf16le'), // BMPString
};

function prepared(text: string): string {
  return text.trim().replace(/ +/g, ' ').toLowerCase();
}

/** Content octets of a string value; a constructed (BER) one joined into one primitive first. */
function stringContent(value: Asn1): Uint8Array {
  if (!value.constructed) return reader.primitiveContent(value, 'name');
  const der = canonicalDer(value);
  return der.subarray(der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2);
}

function valueKey(value: Asn1): string {
  const decode = value.tagClass === 0 ? STRING_DECODERS[value.tagNumber] : undefined;
  if (decode !== undefined) {
    try {
      return `s:${prepared(decode(Uint8Array.from(stringContent(value))))}`;
    } catch {
      // Not decodable as its string type: compare the bytes.
    }
  }
  return `b:${Buffer.from(canonicalDer(value)).toString('hex')}`;
}

/** The comparison key of a Name (SEQUENCE OF RelativeDistinguishedName), or undefined if malformed. */
export function nameKey(name: Uint8Array): string | undefined {
  try {
    const rdns = reader.sequence(reader.parse(name, 'Name'), 'Name');
    return JSON.stringify(
      rdns.map((rdn) =>
        reader
          .set(rdn, 'RelativeDistinguishedName')
          .map((ava) => {
            const [type, value, ...rest] = reader.sequence(ava, 'AttributeTypeAndValue');
            if (value === undefined || rest.length > 0) reader.fail('AttributeTypeAndValue');
            return `${reader.oid(type, 'AttributeType')}=${valueKey(value)}`;
          })
          .sort(),
      ),
    );
  } catch {
    return undefined;
  }
}

export function namesMatch(a: Uint8Array, b: Uint8Array): boolean {
  const key = nameKey(a);
  return key !== undefined && key === nameKey(b);
}
