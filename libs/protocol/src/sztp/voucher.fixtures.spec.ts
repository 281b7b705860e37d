import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  certificatesFromPem,
  decodeSignedData,
  Oid,
  parseCertificate,
  pinnedDomainCertificate,
  SztpVerificationError,
  verifyOwnerCertificate,
  verifyVoucher,
  encodeOwnerCertificate,
} from './index';

/** Real vouchers made by other implementations, vendored unchanged under test/fixtures/sztp. */
const FIXTURES = new URL('../../../../test/fixtures/sztp/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');
const base64File = (name: string) => new Uint8Array(Buffer.from(fixture(name).replace(/\s+/g, ''), 'base64'));
const pem = (name: string) => certificatesFromPem(fixture(name))[0]!;

function rejection(fn: () => unknown): SztpVerificationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SztpVerificationError);
    return err as SztpVerificationError;
  }
  throw new Error('expected a rejection');
}

describe('anima-wg voucher_00-D0-E5-F2-00-02 (RFC 8366 example, highway MASA)', () => {
  const voucherCms = base64File('anima-voucher/voucher_00-D0-E5-F2-00-02.b64');
  const masa = pem('anima-voucher/masa-00-D0-E5-F2-00-02.crt');
  const vendorCa = pem('anima-voucher/vendor-00-D0-E5-F2-00-02.crt');
  const pledge = pem('anima-voucher/00-D0-E5-F2-00-02.crt');

  it('is SignedData over id-data, signed by the MASA certificate it carries', () => {
    const signedData = decodeSignedData(voucherCms);
    expect(signedData.eContentType).toBe(Oid.data);
    expect(signedData.certificates).toHaveLength(1);
    expect(Buffer.from(signedData.certificates[0]!).equals(Buffer.from(masa))).toBe(true);
    expect(parseCertificate(masa).x509.subject).toBe('CN=highway-test.example.com MASA');
  });

  it('verifies against the pinned MASA certificate and reads the voucher', () => {
    const verified = verifyVoucher(voucherCms, {
      trust: { masaCertificate: masa },
      serialNumber: '00-D0-E5-F2-00-02',
      // The nonce is unpadded base64 in the JSON ("4vTsppS2CeqBzhEdoifM2g"): 16 bytes.
      nonce: new Uint8Array(Buffer.from('4vTsppS2CeqBzhEdoifM2g', 'base64')),
      now: new Date('2022-07-10T21:08:18Z'),
    });
    expect(verified.contentType).toBe(Oid.data);
    expect(verified.voucher).toMatchObject({
      assertion: 'logged',
      createdOn: '2022-07-10T17:08:18.720-04:00',
      serialNumber: '00-D0-E5-F2-00-02',
    });
    expect(verified.voucher.nonce).toHaveLength(16);
    expect(verified.voucher.expiresOn).toBeUndefined();
    const pinned = parseCertificate(pinnedDomainCertificate(verified.voucher));
    expect(pinned.x509.subject).toContain('CN=fountain-test.example.com');
    expect(pinned.x509.issuer).toContain('CN=fountain-test.example.com Unstrung Fountain Root CA');
    // The pledge's IDevID names the same serial in its subject.
    expect(parseCertificate(pledge).x509.subject).toBe('serialNumber=00-D0-E5-F2-00-02');
  });

  it('does not chain to the vendor certificate shipped next to it (an RSA CA with the same name)', () => {
    // The MASA and pledge certificates were issued by an ECDSA "highway-test.example.com CA"
    // (authority key id 33:12:45:B7...); vendor-*.crt is an RSA CA with that name and another key.
    expect(parseCertificate(vendorCa).x509.publicKey.asymmetricKeyType).toBe('rsa');
    expect(rejection(() => verifyVoucher(voucherCms, { trust: { trustAnchors: [vendorCa] } })).code).toBe(
      'untrusted',
    );
  });

  it('honours the MASA certificate validity (2021-04-13 .. 2023-04-13) when a time is given', () => {
    const trust = { masaCertificate: masa };
    const nonce = new Uint8Array(Buffer.from('4vTsppS2CeqBzhEdoifM2g', 'base64'));
    expect(
      rejection(() => verifyVoucher(voucherCms, { trust, nonce, now: new Date('2024-01-01T00:00:00Z') }))
        .code,
    ).toBe('certificate-expired');
  });

  it('refuses another serial number, a wrong nonce and an unrelated MASA', () => {
    const trust = { masaCertificate: masa };
    expect(rejection(() => verifyVoucher(voucherCms, { trust, serialNumber: 'X' })).code).toBe(
      'serial-number-mismatch',
    );
    expect(rejection(() => verifyVoucher(voucherCms, { trust, nonce: new Uint8Array(16) })).code).toBe(
      'nonce-mismatch',
    );
    expect(rejection(() => verifyVoucher(voucherCms, { trust })).code).toBe('nonce-mismatch');
    expect(rejection(() => verifyVoucher(voucherCms, { trust: { masaCertificate: pledge } })).code).toBe(
      'signer-not-found',
    );
  });
});

describe('google/open-sztp 12345 ownership voucher', () => {
  const voucherCms = base64File('open-sztp/12345-ownershipVoucher.base64');
  const trustAnchor = pem('open-sztp/trustAnchorCertificate.pem');
  const ownerCertificate = pem('open-sztp/ownershipCertificate.pem');
  const lenient = { profile: 'rfc8366bis', lenient: true } as const;

  it('is RSA SignedData over id-data, signed by a self-signed certificate it carries', () => {
    const signedData = decodeSignedData(voucherCms);
    expect(signedData.eContentType).toBe(Oid.data);
    expect(signedData.certificates).toHaveLength(1);
    const signer = parseCertificate(signedData.certificates[0]!);
    expect(signer.x509.subject).toContain('CN=Google Bootstrapping Services Root CA');
    expect(signer.x509.publicKey.asymmetricKeyType).toBe('rsa');
    expect(signedData.signerInfos[0]!.signatureAlgorithm).toBe(Oid.sha256WithRsa);
  });

  it('does not verify with trustAnchorCertificate.pem: same issuer and serial (2024), different key', () => {
    expect(
      rejection(() => verifyVoucher(voucherCms, { trust: { trustAnchors: [trustAnchor] }, parse: lenient }))
        .code,
    ).toBe('untrusted');
    // Pinned as the MASA, it matches the signer identifier but the signature fails.
    expect(
      rejection(() => verifyVoucher(voucherCms, { trust: { masaCertificate: trustAnchor }, parse: lenient }))
        .code,
    ).toBe('bad-signature');
  });

  it('verifies with its embedded signer; the JSON needs lenient parsing (XMLName, empty assertion)', () => {
    expect(rejection(() => verifyVoucher(voucherCms, { trust: { signatureOnly: true } })).code).toBe(
      'malformed-voucher',
    );
    const verified = verifyVoucher(voucherCms, {
      trust: { signatureOnly: true },
      serialNumber: '12345',
      now: new Date('2025-01-01T00:00:00Z'),
      parse: lenient,
    });
    expect(verified.ignored).toEqual(['/ietf-voucher:voucher/assertion', '/ietf-voucher:voucher/XMLName']);
    expect(verified.voucher).toMatchObject({
      serialNumber: '12345',
      createdOn: '2024-11-22T21:08:04Z',
      expiresOn: '2025-11-22T21:08:04Z',
      domainCertRevocationChecks: false,
    });
    expect(
      rejection(() =>
        verifyVoucher(voucherCms, {
          trust: { signatureOnly: true },
          now: new Date('2026-01-01T00:00:00Z'),
          parse: lenient,
        }),
      ).code,
    ).toBe('voucher-expired');
  });

  it('pins ownershipCertificate.pem itself, so the owner certificate bag verifies', () => {
    const { voucher } = verifyVoucher(voucherCms, { trust: { signatureOnly: true }, parse: lenient });
    const pinned = pinnedDomainCertificate(voucher);
    expect(Buffer.from(pinned).equals(Buffer.from(ownerCertificate))).toBe(true);
    const verified = verifyOwnerCertificate(encodeOwnerCertificate(ownerCertificate), pinned, {
      now: new Date('2025-01-01T00:00:00Z'),
    });
    expect(verified.path).toHaveLength(1);
    // The trust anchor file is a different certificate with the same subject: it does not chain.
    expect(rejection(() => verifyOwnerCertificate(encodeOwnerCertificate(trustAnchor), pinned)).code).toBe(
      'untrusted',
    );
  });
});
