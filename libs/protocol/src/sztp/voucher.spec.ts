import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeSignedData,
  encodeOwnerCertificate,
  encodeUnsignedConveyedInformation,
  encodeVoucherJson,
  issueVoucher,
  keyObjectSigner,
  Oid,
  parseVoucherJson,
  signConveyedInformation,
  SztpPayloadError,
  SztpVerificationError,
  verifyBootstrappingData,
  verifyOwnerCertificate,
  verifyVoucher,
  type ConveyedInformation,
  type Voucher,
} from './index';
import { createTestPki, issueCertificate, TEST_NOW } from './pki.testing';

let pki: Awaited<ReturnType<typeof createTestPki>>;
beforeAll(async () => {
  pki = await createTestPki();
});

const nonce = new Uint8Array(Buffer.alloc(16, 0xab));

function voucherFor(overrides: Partial<Voucher> = {}): Voucher {
  return {
    createdOn: '2025-05-01T00:00:00Z',
    assertion: 'verified',
    serialNumber: 'SN-1',
    pinnedDomainCert: pki.ownerRoot.certificate,
    ...overrides,
  };
}

function verificationError(fn: () => unknown): SztpVerificationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SztpVerificationError);
    return err as SztpVerificationError;
  }
  throw new Error('expected a rejection');
}

function payloadError(fn: () => unknown): SztpPayloadError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SztpPayloadError);
    return err as SztpPayloadError;
  }
  throw new Error('expected a rejection');
}

describe('issued vouchers', () => {
  it('signs id-ct-animaJSONVoucher with the MASA key, includes the MASA certificate, and verifies', async () => {
    const masaSigner = keyObjectSigner(pki.masa.certificate, pki.masa.privateKey);
    const cms = await issueVoucher(voucherFor({ nonce }), masaSigner);
    const signedData = decodeSignedData(cms);
    expect(signedData.eContentType).toBe(Oid.animaJsonVoucher);
    expect(signedData.certificates).toHaveLength(1);
    expect(JSON.parse(new TextDecoder().decode(signedData.eContent))).toEqual({
      'ietf-voucher:voucher': {
        'created-on': '2025-05-01T00:00:00Z',
        assertion: 'verified',
        'serial-number': 'SN-1',
        'pinned-domain-cert': Buffer.from(pki.ownerRoot.certificate).toString('base64'),
        nonce: Buffer.from(nonce).toString('base64'),
      },
    });

    for (const trust of [
      { masaCertificate: pki.masa.certificate },
      { trustAnchors: [pki.vendorRoot.certificate] },
    ]) {
      const verified = verifyVoucher(cms, { trust, serialNumber: 'SN-1', nonce, now: TEST_NOW });
      expect(verified.voucher).toEqual(voucherFor({ nonce }));
      expect(Buffer.from(verified.signerCertificate).equals(Buffer.from(pki.masa.certificate))).toBe(true);
    }
  });

  it('can use id-data like open-sztp and the anima examples', async () => {
    const cms = await issueVoucher(voucherFor(), keyObjectSigner(pki.masa.certificate, pki.masa.privateKey), {
      contentType: 'id-data',
    });
    expect(decodeSignedData(cms).eContentType).toBe(Oid.data);
    expect(verifyVoucher(cms, { trust: { masaCertificate: pki.masa.certificate } }).contentType).toBe(
      Oid.data,
    );
  });

  it('checks serial-number, nonce, expiry and the signer', async () => {
    const signer = keyObjectSigner(pki.masa.certificate, pki.masa.privateKey);
    const trust = { trustAnchors: [pki.vendorRoot.certificate] };
    const bound = await issueVoucher(voucherFor({ nonce }), signer);
    expect(verificationError(() => verifyVoucher(bound, { trust, serialNumber: 'SN-2' })).code).toBe(
      'serial-number-mismatch',
    );
    expect(verificationError(() => verifyVoucher(bound, { trust, nonce: new Uint8Array(16) })).code).toBe(
      'nonce-mismatch',
    );
    expect(verificationError(() => verifyVoucher(bound, { trust })).code).toBe('nonce-mismatch');

    const longLived = await issueVoucher(voucherFor({ expiresOn: '2025-12-31T23:59:59Z' }), signer);
    expect(verifyVoucher(longLived, { trust, now: TEST_NOW }).voucher.expiresOn).toBe('2025-12-31T23:59:59Z');
    expect(
      verificationError(() => verifyVoucher(longLived, { trust, now: new Date('2026-01-01T00:00:00Z') }))
        .code,
    ).toBe('voucher-expired');
    // Certificates are checked at `now` too (test PKI is valid 2024..2034).
    expect(
      verificationError(() => verifyVoucher(longLived, { trust, now: new Date('2023-01-01T00:00:00Z') }))
        .code,
    ).toBe('certificate-expired');
    // Signed by the owner instead of the MASA: no path to the vendor root.
    const rogue = await issueVoucher(
      voucherFor(),
      keyObjectSigner(pki.owner.certificate, pki.owner.privateKey),
    );
    expect(verificationError(() => verifyVoucher(rogue, { trust })).code).toBe('untrusted');
    expect(
      verificationError(() => verifyVoucher(rogue, { trust: { masaCertificate: pki.masa.certificate } }))
        .code,
    ).toBe('signer-not-found');
  });

  it('refuses to issue a voucher that breaks RFC 8366', async () => {
    const signer = keyObjectSigner(pki.masa.certificate, pki.masa.privateKey);
    for (const bad of [
      voucherFor({ nonce, expiresOn: '2026-01-01T00:00:00Z' }),
      voucherFor({ nonce: Uint8Array.of(1, 2, 3) }),
      voucherFor({ lastRenewalDate: '2026-01-01T00:00:00Z' }),
      voucherFor({ createdOn: 'yesterday' }),
      voucherFor({ pinnedDomainCert: undefined }),
    ]) {
      const error = await issueVoucher(bad, signer).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(SztpVerificationError);
      expect((error as SztpVerificationError).code).toBe('invalid-input');
      expect((error as SztpVerificationError).cause).toBeInstanceOf(SztpPayloadError);
    }
  });
});

describe('voucher JSON', () => {
  const json = (members: Record<string, unknown>) => JSON.stringify({ 'ietf-voucher:voucher': members });
  const minimal = {
    'created-on': '2025-05-01T00:00:00Z',
    assertion: 'logged',
    'serial-number': 'SN-1',
    'pinned-domain-cert': 'MAA=',
  };

  it('parses every RFC 8366 leaf', () => {
    const { voucher } = parseVoucherJson(
      json({
        ...minimal,
        'expires-on': '2026-01-01T00:00:00.5+02:00',
        'idevid-issuer': 'AQI=',
        'domain-cert-revocation-checks': true,
        'last-renewal-date': '2027-01-01T00:00:00Z',
      }),
    );
    expect(voucher).toEqual({
      createdOn: '2025-05-01T00:00:00Z',
      expiresOn: '2026-01-01T00:00:00.5+02:00',
      assertion: 'logged',
      serialNumber: 'SN-1',
      idevidIssuer: Uint8Array.of(1, 2),
      pinnedDomainCert: Uint8Array.of(0x30, 0),
      domainCertRevocationChecks: true,
      lastRenewalDate: '2027-01-01T00:00:00Z',
    });
    expect(parseVoucherJson(encodeVoucherJson(voucher)).voucher).toEqual(voucher);
  });

  it.each([
    ['malformed JSON', '{"ietf-voucher:voucher":', 'malformed-message', ''],
    [
      'another top-level member',
      '{"ietf-voucher:voucher-request":{}}',
      'unknown-element',
      '/ietf-voucher:voucher-request',
    ],
    [
      'no serial-number',
      json({ ...minimal, 'serial-number': undefined }),
      'missing-element',
      '/ietf-voucher:voucher/serial-number',
    ],
    [
      'no pinned-domain-cert (RFC 8366)',
      json({ ...minimal, 'pinned-domain-cert': undefined }),
      'missing-element',
      '/ietf-voucher:voucher/pinned-domain-cert',
    ],
    [
      'an empty assertion',
      json({ ...minimal, assertion: '' }),
      'invalid-value',
      '/ietf-voucher:voucher/assertion',
    ],
    [
      'an unknown member',
      json({ ...minimal, XMLName: {} }),
      'unknown-element',
      '/ietf-voucher:voucher/XMLName',
    ],
    [
      'a 4-byte nonce',
      json({ ...minimal, nonce: 'AQIDBA==' }),
      'invalid-value',
      '/ietf-voucher:voucher/nonce',
    ],
    [
      'nonce with expires-on',
      json({ ...minimal, nonce: 'AQIDBAUGBwg=', 'expires-on': '2026-01-01T00:00:00Z' }),
      'invalid-value',
      '/ietf-voucher:voucher/expires-on',
    ],
    [
      'a bad date',
      json({ ...minimal, 'created-on': '2025-05-01' }),
      'invalid-value',
      '/ietf-voucher:voucher/created-on',
    ],
    [
      'a string boolean',
      json({ ...minimal, 'domain-cert-revocation-checks': 'true' }),
      'invalid-value',
      '/ietf-voucher:voucher/domain-cert-revocation-checks',
    ],
  ])('refuses %s', (_name, text, errorTag, path) => {
    expect(payloadError(() => parseVoucherJson(text))).toMatchObject({ errorTag, path });
  });

  it('accepts the RFC 8366bis shape (no created-on/assertion, pinned public key)', () => {
    const { voucher } = parseVoucherJson(
      json({
        'serial-number': 'SN-1',
        'pinned-domain-pubk': 'MAA=',
        assertion: 'agent-proximity',
        'est-domain': 'https://r.example',
      }),
      { profile: 'rfc8366bis' },
    );
    expect(voucher).toEqual({
      serialNumber: 'SN-1',
      pinnedDomainPubk: Uint8Array.of(0x30, 0),
      assertion: 'agent-proximity',
      estDomain: 'https://r.example',
    });
  });
});

describe('owner certificate against pinned-domain-cert', () => {
  it('chains owner → issuing CA → pinned root, in any bag order', () => {
    for (const bag of [
      encodeOwnerCertificate(pki.owner.certificate, [pki.ownerIssuing.certificate]),
      encodeOwnerCertificate(pki.ownerIssuing.certificate, [
        pki.owner.certificate,
        pki.ownerRoot.certificate,
      ]),
    ]) {
      const verified = verifyOwnerCertificate(bag, pki.ownerRoot.certificate, { now: TEST_NOW });
      expect(Buffer.from(verified.ownerCertificate).equals(Buffer.from(pki.owner.certificate))).toBe(true);
      expect(verified.path).toHaveLength(3);
    }
    // Pinning the issuing CA works too; pinning an unrelated certificate does not.
    expect(
      verifyOwnerCertificate(encodeOwnerCertificate(pki.owner.certificate), pki.ownerIssuing.certificate)
        .path,
    ).toHaveLength(2);
    expect(
      verificationError(() =>
        verifyOwnerCertificate(
          encodeOwnerCertificate(pki.owner.certificate, [pki.ownerIssuing.certificate]),
          pki.vendorRoot.certificate,
        ),
      ).code,
    ).toBe('untrusted');
    // A missing intermediate breaks the chain.
    expect(
      verificationError(() =>
        verifyOwnerCertificate(encodeOwnerCertificate(pki.owner.certificate), pki.ownerRoot.certificate),
      ).code,
    ).toBe('untrusted');
  });

  it('refuses an owner certificate that may not sign, and bags with two chains', async () => {
    // keyUsage keyAgreement only (@peculiar/x509 KeyUsageFlags.keyAgreement = 16).
    const keyAgreementOnly = await issueCertificate({
      subject: 'CN=No Sign',
      issuer: pki.ownerIssuing,
      keyUsage: 16,
    });
    expect(
      verificationError(() =>
        verifyOwnerCertificate(
          encodeOwnerCertificate(keyAgreementOnly.certificate, [pki.ownerIssuing.certificate]),
          pki.ownerRoot.certificate,
        ),
      ).code,
    ).toBe('certificate-usage');
    expect(
      verificationError(() =>
        verifyOwnerCertificate(
          encodeOwnerCertificate(pki.owner.certificate, [pki.masa.certificate]),
          pki.ownerRoot.certificate,
        ),
      ).code,
    ).toBe('untrusted');
  });
});

describe('device-side verification of get-bootstrapping-data output', () => {
  const info: ConveyedInformation = {
    kind: 'onboarding-information',
    configurationHandling: 'merge',
    configuration: Uint8Array.of(1, 2, 3),
  };

  it('accepts signed data in the RFC 8572 order and rejects each broken link', async () => {
    const ownerSigner = keyObjectSigner(pki.owner.certificate, pki.owner.privateKey);
    const masaSigner = keyObjectSigner(pki.masa.certificate, pki.masa.privateKey);
    const output = {
      conveyedInformation: await signConveyedInformation(info, ownerSigner),
      ownerCertificate: encodeOwnerCertificate(pki.owner.certificate, [pki.ownerIssuing.certificate]),
      ownershipVoucher: await issueVoucher(voucherFor({ nonce }), masaSigner),
    };
    const options = {
      manufacturerTrust: { trustAnchors: [pki.vendorRoot.certificate] },
      serialNumber: 'SN-1',
      nonce,
      now: TEST_NOW,
    };
    const verified = verifyBootstrappingData(output, options);
    expect(verified.conveyed).toMatchObject({ signed: true, info });
    expect(verified.voucher?.voucher.serialNumber).toBe('SN-1');

    expect(
      verificationError(() => verifyBootstrappingData(output, { ...options, serialNumber: 'SN-9' })).code,
    ).toBe('serial-number-mismatch');
    const otherPin = await issueVoucher(
      voucherFor({ nonce, pinnedDomainCert: pki.vendorRoot.certificate }),
      masaSigner,
    );
    expect(
      verificationError(() => verifyBootstrappingData({ ...output, ownershipVoucher: otherPin }, options))
        .code,
    ).toBe('untrusted');
    const signedByMasa = await signConveyedInformation(info, masaSigner);
    expect(
      verificationError(() =>
        verifyBootstrappingData({ ...output, conveyedInformation: signedByMasa }, options),
      ).code,
    ).toBe('signer-not-found');
  });

  it('accepts unsigned onboarding information only from a trusted server; redirects always', () => {
    const options = { manufacturerTrust: { masaCertificate: pki.masa.certificate }, serialNumber: 'SN-1' };
    const unsigned = { conveyedInformation: encodeUnsignedConveyedInformation(info) };
    expect(verificationError(() => verifyBootstrappingData(unsigned, options)).code).toBe(
      'signature-required',
    );
    expect(verifyBootstrappingData(unsigned, { ...options, trustedServer: true }).conveyed.signed).toBe(
      false,
    );
    const redirect = encodeUnsignedConveyedInformation({
      kind: 'redirect-information',
      bootstrapServers: [{ address: 'b' }],
    });
    expect(verifyBootstrappingData({ conveyedInformation: redirect }, options).conveyed.info.kind).toBe(
      'redirect-information',
    );
  });
});
