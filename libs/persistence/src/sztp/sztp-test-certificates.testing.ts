import 'reflect-metadata';
import { KeyObject, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/**
 * Test-only certificates for SZTP device identity: CAs and IDevIDs with a chosen subject and SANs.
 * P-256, fixed validity 2024..2034 unless told otherwise.
 */
x509.cryptoProvider.set(webcrypto as never);

export interface TestCertificate {
  readonly der: Uint8Array;
  readonly pem: string;
  readonly keyPem: string;
  readonly privateKey: KeyObject;
  readonly keys: webcrypto.CryptoKeyPair;
  readonly cert: x509.X509Certificate;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
let serial = 0x1000;

export async function testCertificate(options: {
  /** e.g. `CN=Device CA` or `2.5.4.5=PID:X SN:1, CN=dev` */
  subject: string;
  issuer?: TestCertificate;
  ca?: boolean;
  dnsNames?: string[];
  uris?: string[];
  ipAddresses?: string[];
  notBefore?: Date;
  notAfter?: Date;
}): Promise<TestCertificate> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(options.ca ?? false, undefined, true),
    new x509.KeyUsagesExtension(
      options.ca
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
        : x509.KeyUsageFlags.digitalSignature,
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
  ];
  if (options.issuer) {
    extensions.push(
      await x509.AuthorityKeyIdentifierExtension.create(options.issuer.keys.publicKey as never),
    );
  }
  const names = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.uris ?? []).map((value) => ({ type: 'url' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16),
    subject: options.subject,
    issuer: options.issuer?.cert.subject ?? options.subject,
    notBefore: options.notBefore ?? new Date('2024-01-01T00:00:00Z'),
    notAfter: options.notAfter ?? new Date('2034-01-01T00:00:00Z'),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey as never,
    signingKey: (options.issuer?.keys.privateKey ?? keys.privateKey) as never,
    extensions,
  });
  const privateKey = KeyObject.from(keys.privateKey);
  return {
    der: new Uint8Array(cert.rawData),
    pem: cert.toString('pem'),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    privateKey,
    keys,
    cert,
  };
}
