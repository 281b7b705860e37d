import { execFileSync, spawnSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigAlg } from '../fdo/constants';
import {
  certificateToPem,
  coseSignerAdapter,
  cryptoKeySigner,
  decodeCertsOnly,
  decodeSignedData,
  encodeCertsOnly,
  encodeOwnerCertificate,
  keyObjectSigner,
  Oid,
  openConveyedInformation,
  signCms,
  signConveyedInformation,
  SztpPayloadError,
  SztpVerificationError,
  verifySignedData,
  type CmsSigner,
  type ConveyedInformation,
} from './index';
import { createTestPki, issueCertificate, type TestIdentity } from './pki.testing';

const info: ConveyedInformation = {
  kind: 'onboarding-information',
  configurationHandling: 'replace',
  configuration: new TextEncoder().encode('hostname device-1\n'),
};

let pki: Awaited<ReturnType<typeof createTestPki>>;
let rsa: TestIdentity;
let ed25519: TestIdentity;
let dir: string;

beforeAll(async () => {
  pki = await createTestPki();
  // One RSA key for the whole file (slow to generate).
  const rsaAlgorithm = {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: Uint8Array.of(1, 0, 1),
    hash: 'SHA-256',
  };
  const rsaKeys = (await webcrypto.subtle.generateKey(rsaAlgorithm, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  rsa = await issueCertificate({
    subject: 'CN=RSA Owner',
    issuer: pki.ownerIssuing,
    keys: rsaKeys,
    algorithm: rsaAlgorithm,
  });
  const edKeys = (await webcrypto.subtle.generateKey({ name: 'Ed25519' }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  ed25519 = await issueCertificate({ subject: 'CN=Ed25519 Owner', issuer: pki.ownerIssuing, keys: edKeys });
  dir = mkdtempSync(join(tmpdir(), 'sztp-cms-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function verificationError(fn: () => unknown): SztpVerificationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SztpVerificationError);
    return err as SztpVerificationError;
  }
  throw new Error('expected a rejection');
}

/** `openssl cms -verify` against the owner root, with the intermediate carried in the CMS. */
function opensslVerify(
  artifact: Uint8Array,
  name: string,
): { status: number | null; content: string; stderr: string } {
  const input = join(dir, `${name}.der`);
  const chain = join(dir, 'owner-root.pem');
  const output = join(dir, `${name}.out`);
  writeFileSync(input, artifact);
  writeFileSync(chain, certificateToPem(pki.ownerRoot.certificate));
  rmSync(output, { force: true });
  const result = spawnSync(
    'openssl',
    [
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      input,
      '-CAfile',
      chain,
      '-purpose',
      'any',
      '-out',
      output,
    ],
    { encoding: 'utf8' },
  );
  let content = '';
  try {
    content = readFileSync(output, 'utf8');
  } catch {
    // no output on failure
  }
  return { status: result.status, content, stderr: result.stderr };
}

describe('signed conveyed information', () => {
  it('signs with the owner key (P-256), verifies here and with openssl cms -verify', async () => {
    const signer = keyObjectSigner(pki.owner.certificate, pki.owner.privateKey);
    const artifact = await signConveyedInformation(info, signer, {
      certificates: [pki.owner.certificate, pki.ownerIssuing.certificate],
      signingTime: new Date('2025-06-01T12:00:00Z'),
    });
    const signedData = decodeSignedData(artifact);
    expect(signedData.eContentType).toBe(Oid.sztpConveyedInfoJson);
    expect(signedData.certificates).toHaveLength(2);

    const opened = openConveyedInformation(artifact, { ownerCertificate: pki.owner.certificate });
    expect(opened).toMatchObject({ signed: true, encoding: 'json', info });

    const openssl = opensslVerify(artifact, 'p256');
    expect(openssl.stderr).toContain('Verification successful');
    expect(openssl.status).toBe(0);
    expect(JSON.parse(openssl.content)).toEqual({
      'ietf-sztp-conveyed-info:onboarding-information': {
        'configuration-handling': 'replace',
        configuration: Buffer.from('hostname device-1\n').toString('base64'),
      },
    });
    // SignedData version 3 (eContentType is not id-data), DER throughout: openssl re-encodes identically.
    const reencoded = execFileSync('openssl', [
      'cms',
      '-cmsout',
      '-inform',
      'DER',
      '-outform',
      'DER',
      '-in',
      join(dir, 'p256.der'),
    ]);
    expect(Buffer.from(reencoded).equals(Buffer.from(artifact))).toBe(true);
  });

  it('refuses tampered content, here and in openssl', async () => {
    const artifact = await signConveyedInformation(
      info,
      keyObjectSigner(pki.owner.certificate, pki.owner.privateKey),
      {
        certificates: [pki.owner.certificate, pki.ownerIssuing.certificate],
      },
    );
    const tampered = Uint8Array.from(artifact);
    const at = Buffer.from(tampered).indexOf('replace');
    tampered.set(new TextEncoder().encode('replacf'), at);
    expect(
      verificationError(() => openConveyedInformation(tampered, { ownerCertificate: pki.owner.certificate }))
        .code,
    ).toBe('bad-signature');
    const openssl = opensslVerify(tampered, 'tampered');
    expect(openssl.status).not.toBe(0);
    expect(openssl.stderr).toMatch(/digest failure|verification failure/i);
  });

  it('never accepts a change to the content or signature, and fails only with typed errors', async () => {
    const artifact = await signConveyedInformation(
      info,
      keyObjectSigner(pki.owner.certificate, pki.owner.privateKey),
      {
        certificates: [pki.owner.certificate, pki.ownerIssuing.certificate],
      },
    );
    // CMS leaves the wrapper (versions, algorithm sets, embedded certificates) unsigned, so flips
    // there may still verify; flips in the content, the signed attributes or the signature may not.
    const bytes = Buffer.from(artifact);
    const signedData = decodeSignedData(artifact);
    const protectedRanges = [
      signedData.eContent!,
      signedData.signerInfos[0]!.signedAttributes!.der.subarray(2),
      signedData.signerInfos[0]!.signature,
    ].map((region) => {
      const start = bytes.indexOf(Buffer.from(region));
      return [start, start + region.length] as const;
    });
    expect(protectedRanges.every(([start]) => start > 0)).toBe(true);
    let rejected = 0;
    for (let i = 0; i < artifact.length; i++) {
      const mutant = Uint8Array.from(artifact);
      mutant[i]! ^= 0x01;
      try {
        const opened = openConveyedInformation(mutant, { ownerCertificate: pki.owner.certificate });
        expect(opened.info).toEqual(info);
        expect(
          protectedRanges.some(([start, end]) => i >= start && i < end),
          `byte ${i} changed yet verified`,
        ).toBe(false);
      } catch (err) {
        expect(err instanceof SztpVerificationError || err instanceof SztpPayloadError, String(err)).toBe(
          true,
        );
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(protectedRanges.reduce((sum, [start, end]) => sum + end - start, 0));
  });

  it('only trusts the given owner certificate, not certificates embedded in the CMS', async () => {
    const artifact = await signConveyedInformation(
      info,
      keyObjectSigner(pki.owner.certificate, pki.owner.privateKey),
    );
    expect(
      verificationError(() => openConveyedInformation(artifact, { ownerCertificate: pki.masa.certificate }))
        .code,
    ).toBe('signer-not-found');
    expect(verificationError(() => openConveyedInformation(artifact)).code).toBe('signer-not-found');
    const bare = await signConveyedInformation(
      info,
      keyObjectSigner(pki.owner.certificate, pki.owner.privateKey),
      {
        certificates: [],
      },
    );
    expect(decodeSignedData(bare).certificates).toHaveLength(0);
    expect(openConveyedInformation(bare, { ownerCertificate: pki.owner.certificate }).info).toEqual(info);
  });

  it('signs in XML with id-ct-sztpConveyedInfoXML', async () => {
    const artifact = await signConveyedInformation(
      info,
      keyObjectSigner(pki.owner.certificate, pki.owner.privateKey),
      {
        encoding: 'xml',
      },
    );
    expect(decodeSignedData(artifact).eContentType).toBe(Oid.sztpConveyedInfoXml);
    expect(openConveyedInformation(artifact, { ownerCertificate: pki.owner.certificate })).toMatchObject({
      encoding: 'xml',
      info,
    });
  });
});

describe('artifacts made by openssl (as the Arista helper does)', () => {
  it('reads `openssl cms -data_create` (unsigned, id-data) and `cms -sign -nodetach` (signed, id-data)', () => {
    const document = join(dir, 'conveyed.json');
    writeFileSync(
      document,
      new TextEncoder().encode(
        JSON.stringify({
          'ietf-sztp-conveyed-info:redirect-information': {
            'bootstrap-server': [{ address: 'b.example', port: 443 }],
          },
        }),
      ),
    );
    const unsigned = execFileSync('openssl', [
      'cms',
      '-data_create',
      '-binary',
      '-in',
      document,
      '-outform',
      'DER',
    ]);
    expect(openConveyedInformation(new Uint8Array(unsigned), { allowUnsigned: true })).toMatchObject({
      signed: false,
      contentType: Oid.data,
      encoding: 'json',
      info: { kind: 'redirect-information', bootstrapServers: [{ address: 'b.example', port: 443 }] },
    });
    const certificate = join(dir, 'owner.pem');
    const key = join(dir, 'owner.key');
    writeFileSync(certificate, certificateToPem(pki.owner.certificate));
    writeFileSync(key, pki.owner.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const signed = execFileSync('openssl', [
      'cms',
      '-sign',
      '-nodetach',
      '-binary',
      '-in',
      document,
      '-signer',
      certificate,
      '-inkey',
      key,
      '-outform',
      'DER',
    ]);
    const opened = openConveyedInformation(new Uint8Array(signed), {
      ownerCertificate: pki.owner.certificate,
    });
    expect(opened).toMatchObject({ signed: true, contentType: Oid.data, encoding: 'json' });
    expect(opened.info.kind).toBe('redirect-information');
  });
});

describe('CMS signers', () => {
  // OpenSSL 3.0 (installed here) cannot verify CMS with Ed25519 ("eddsa ... invalid digest"; 3.2 can), so
  // that case is checked by our verifier only.
  const cases: [string, () => CmsSigner, () => Uint8Array, boolean][] = [
    [
      'RSA PKCS#1 v1.5 (KeyObject)',
      () => keyObjectSigner(rsa.certificate, rsa.privateKey),
      () => rsa.certificate,
      true,
    ],
    [
      'RSA-PSS (KeyObject)',
      () => keyObjectSigner(rsa.certificate, rsa.privateKey, 'rsa-pss-sha256'),
      () => rsa.certificate,
      true,
    ],
    [
      'Ed25519 (KeyObject)',
      () => keyObjectSigner(ed25519.certificate, ed25519.privateKey),
      () => ed25519.certificate,
      false,
    ],
    [
      'ECDSA P-256 via WebCrypto (HSM path)',
      () => cryptoKeySigner(pki.owner.certificate, pki.owner.cryptoKey),
      () => pki.owner.certificate,
      true,
    ],
    ['RSA via WebCrypto', () => cryptoKeySigner(rsa.certificate, rsa.cryptoKey), () => rsa.certificate, true],
    [
      'the COSE Signer port (ES256, P1363 → DER)',
      () =>
        coseSignerAdapter(pki.owner.certificate, {
          alg: SigAlg.ES256,
          publicKey: pki.owner.cert.publicKey as never,
          sign: async (data) =>
            new Uint8Array(
              await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pki.owner.cryptoKey, data),
            ),
        }),
      () => pki.owner.certificate,
      true,
    ],
  ];

  it.each(cases)(
    '%s: verifies here (and in openssl: %s)',
    async (name, makeSigner, certificate, withOpenssl) => {
      const signer = makeSigner();
      const artifact = await signConveyedInformation(info, signer, {
        certificates: [certificate(), pki.ownerIssuing.certificate],
      });
      expect(openConveyedInformation(artifact, { ownerCertificate: certificate() }).info).toEqual(info);
      const tampered = Uint8Array.from(artifact);
      tampered[tampered.length - 1]! ^= 1; // last byte of the signature
      expect(
        verificationError(() => openConveyedInformation(tampered, { ownerCertificate: certificate() })).code,
      ).toBe('bad-signature');
      if (!withOpenssl) return;
      const openssl = opensslVerify(artifact, name.replace(/\W+/g, '-'));
      expect(openssl.stderr).toContain('Verification successful');
      expect(openssl.status).toBe(0);
    },
  );

  it('refuses a private key that does not match the certificate', () => {
    expect(verificationError(() => keyObjectSigner(pki.owner.certificate, pki.masa.privateKey)).code).toBe(
      'invalid-input',
    );
  });

  it('verifies signatures without signed attributes only for id-data', async () => {
    const signed = await signCms(
      Uint8Array.of(1, 2, 3),
      Oid.data,
      keyObjectSigner(pki.masa.certificate, pki.masa.privateKey),
    );
    const verified = verifySignedData(signed, { allowedContentTypes: [Oid.data] });
    expect(verified.signerCertificate.x509.subject).toBe('CN=Vendor MASA');
    expect(
      verificationError(() => verifySignedData(signed, { allowedContentTypes: [Oid.animaJsonVoucher] })).code,
    ).toBe('unexpected-content-type');
  });

  it('refuses garbage with malformed-cms', () => {
    for (const bytes of [
      Uint8Array.of(),
      Uint8Array.of(0x30, 0x03, 0x02, 0x01),
      Uint8Array.of(0x04, 0x01, 0x00),
    ]) {
      expect(verificationError(() => openConveyedInformation(bytes, { allowUnsigned: true })).code).toBe(
        'malformed-cms',
      );
    }
  });
});

describe('certs-only bags', () => {
  it('encodes an owner-certificate bag that openssl reads and we decode in order', () => {
    const bag = encodeOwnerCertificate(pki.owner.certificate, [pki.ownerIssuing.certificate]);
    expect(decodeCertsOnly(bag).map((c) => Buffer.from(c).toString('hex'))).toEqual(
      [pki.owner.certificate, pki.ownerIssuing.certificate].map((c) => Buffer.from(c).toString('hex')),
    );
    const file = join(dir, 'bag.der');
    writeFileSync(file, bag);
    const printed = execFileSync(
      'openssl',
      ['pkcs7', '-inform', 'DER', '-in', file, '-print_certs', '-noout'],
      {
        encoding: 'utf8',
      },
    );
    expect(printed).toMatch(/subject=CN ?= ?Owner Signer/);
    expect(printed).toMatch(/subject=CN ?= ?Owner Issuing CA/);
  });

  it('refuses signed data, empty bags and non-certificates', async () => {
    const signed = await signCms(
      Uint8Array.of(1),
      Oid.data,
      keyObjectSigner(pki.owner.certificate, pki.owner.privateKey),
    );
    expect(verificationError(() => decodeCertsOnly(signed)).code).toBe('unexpected-content-type');
    expect(verificationError(() => encodeCertsOnly([])).code).toBe('invalid-input');
    expect(verificationError(() => encodeCertsOnly([Uint8Array.of(0x30, 0x00)])).code).toBe(
      'malformed-certificate',
    );
  });
});
