import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { KeyObject, webcrypto } from 'node:crypto';

/**
 * Test-only certificate factory (P-256 unless told otherwise; fixed validity so tests never depend
 * on the clock). Used by the sztp specs, not by library code.
 */
x509.cryptoProvider.set(webcrypto as never);

export const VALID_FROM = new Date('2024-01-01T00:00:00Z');
export const VALID_TO = new Date('2034-01-01T00:00:00Z');
/** An instant inside every test certificate's validity. */
export const TEST_NOW = new Date('2025-06-01T00:00:00Z');

export interface TestIdentity {
  readonly certificate: Uint8Array;
  readonly privateKey: KeyObject;
  readonly cryptoKey: webcrypto.CryptoKey;
  readonly cert: x509.X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
}

const EC: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = {
  name: 'ECDSA',
  namedCurve: 'P-256',
  hash: 'SHA-256',
};

let serial = 1;

export async function issueCertificate(options: {
  subject: string;
  issuer?: TestIdentity;
  ca?: boolean;
  keyUsage?: number;
  algorithm?: webcrypto.Algorithm;
  keys?: webcrypto.CryptoKeyPair;
  notBefore?: Date;
  notAfter?: Date;
}): Promise<TestIdentity> {
  const algorithm = options.algorithm ?? EC;
  const keys =
    options.keys ??
    ((await webcrypto.subtle.generateKey(algorithm as webcrypto.EcKeyGenParams, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(options.ca ?? false, undefined, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
  ];
  const usage =
    options.keyUsage ??
    (options.ca
      ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature
      : x509.KeyUsageFlags.digitalSignature);
  extensions.push(new x509.KeyUsagesExtension(usage, true));
  if (options.issuer) {
    extensions.push(
      await x509.AuthorityKeyIdentifierExtension.create(options.issuer.keys.publicKey as never),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(4, '0'),
    subject: options.subject,
    issuer: options.issuer?.cert.subject ?? options.subject,
    notBefore: options.notBefore ?? VALID_FROM,
    notAfter: options.notAfter ?? VALID_TO,
    signingAlgorithm: options.issuer
      ? (options.issuer.keys.privateKey.algorithm as webcrypto.Algorithm)
      : algorithm,
    publicKey: keys.publicKey as never,
    signingKey: (options.issuer?.keys.privateKey ?? keys.privateKey) as never,
    extensions,
  });
  return {
    certificate: new Uint8Array(cert.rawData),
    privateKey: KeyObject.from(keys.privateKey),
    cryptoKey: keys.privateKey,
    cert,
    keys,
  };
}

/** A root CA, an owner intermediate CA, an owner (signing) certificate and a MASA. */
export async function createTestPki() {
  const ownerRoot = await issueCertificate({ subject: 'CN=Owner Root CA', ca: true });
  const ownerIssuing = await issueCertificate({
    subject: 'CN=Owner Issuing CA',
    ca: true,
    issuer: ownerRoot,
  });
  const owner = await issueCertificate({ subject: 'CN=Owner Signer', issuer: ownerIssuing });
  const vendorRoot = await issueCertificate({ subject: 'CN=Vendor Root CA', ca: true });
  const masa = await issueCertificate({ subject: 'CN=Vendor MASA', issuer: vendorRoot });
  return { ownerRoot, ownerIssuing, owner, vendorRoot, masa };
}
