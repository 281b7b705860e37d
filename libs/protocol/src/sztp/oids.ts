/** Object identifiers used by SZTP (RFC 8572), vouchers (RFC 8366) and CMS (RFC 5652). */
export const Oid = {
  /** id-data: plain octets. Also the eContentType of vouchers from anima-wg examples and open-sztp. */
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  /** id-ct-animaJSONVoucher (RFC 8366; RFC 8572 errata 6807 corrects the OID printed in 8572). */
  animaJsonVoucher: '1.2.840.113549.1.9.16.1.40',
  /** id-ct-sztpConveyedInfoXML (RFC 8572 section 3.1). */
  sztpConveyedInfoXml: '1.2.840.113549.1.9.16.1.42',
  /** id-ct-sztpConveyedInfoJSON (RFC 8572 section 3.1). */
  sztpConveyedInfoJson: '1.2.840.113549.1.9.16.1.43',

  // CMS signed attributes (RFC 5652 section 11)
  contentTypeAttr: '1.2.840.113549.1.9.3',
  messageDigestAttr: '1.2.840.113549.1.9.4',
  signingTimeAttr: '1.2.840.113549.1.9.5',

  // digests
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',

  // public key and signature algorithms
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  sha384WithRsa: '1.2.840.113549.1.1.12',
  sha512WithRsa: '1.2.840.113549.1.1.13',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  ed25519: '1.3.101.112',
  secp256r1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
} as const;
