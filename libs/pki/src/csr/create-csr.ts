import { type Signer } from '@ztp/protocol/cose/signer';
import { type DistinguishedName, type SubjectAltNames, toGeneralNames, toX509Name } from '../x509/names';
import { x509 } from '../x509/runtime';
import { signerCrypto } from '../x509/signer-crypto';

/**
 * A PKCS#10 certificate request (DER) signed by `signer`, for whoever owns a key and wants a
 * certificate for it: the device simulator (DI DeviceMfgInfo, fdo.csr), tools and tests.
 * SANs, when given, travel in an extensionRequest attribute.
 */
export async function createCsr(params: {
  signer: Signer;
  subject: DistinguishedName;
  subjectAltNames?: SubjectAltNames;
}): Promise<Uint8Array> {
  const { crypto, keys } = signerCrypto(params.signer);
  const generalNames = params.subjectAltNames ? toGeneralNames(params.subjectAltNames) : [];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: toX509Name(params.subject),
      keys,
      signingAlgorithm: keys.privateKey.algorithm,
      extensions: generalNames.length > 0 ? [new x509.SubjectAlternativeNameExtension(generalNames)] : [],
    },
    crypto,
  );
  return new Uint8Array(csr.rawData);
}
