import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSoftwareSigner } from '@ztp/protocol';
import { CertificateIssuer, type IssuingCa } from '../ca/certificate-issuer';
import { ExtendedKeyUsageOid } from '../ca/profiles';
import { createCsr } from '../csr/create-csr';
import { parseCsr } from '../csr/parse-csr';
import { type ChainErrorCode, ChainValidationError } from '../errors';
import { DAY_MS, fixtureText, testClock, testCustody } from '../support.testing';
import { type DistinguishedName, toX509Name } from '../x509/names';
import { derToPem, pemToDer } from '../x509/pem';
import { x509 } from '../x509/runtime';
import { signerCrypto } from '../x509/signer-crypto';
import { type ChainValidationOptions, validateChain } from './validate-chain';

const clock = testClock('2026-06-01T00:00:00Z');
const ecKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

/** A certificate with whatever extensions a test needs, including ones CertificateIssuer refuses to make. */
async function forge(params: {
  issuerKey: KeyObject;
  issuer: DistinguishedName;
  subject: DistinguishedName;
  subjectKey: KeyObject;
  extensions: x509.Extension[];
}): Promise<Uint8Array> {
  const { crypto, keys } = signerCrypto(createSoftwareSigner(params.issuerKey));
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: '01',
      subject: toX509Name(params.subject),
      issuer: toX509Name(params.issuer),
      notBefore: new Date(clock.now().getTime() - DAY_MS),
      notAfter: new Date(clock.now().getTime() + 30 * DAY_MS),
      publicKey: createSoftwareSigner(params.subjectKey).publicKey.export({ type: 'spki', format: 'der' }),
      signingKey: keys.privateKey,
      extensions: params.extensions,
    },
    crypto,
  );
  return new Uint8Array(cert.rawData);
}

const caExtensions = (pathLength?: number) => [
  new x509.BasicConstraintsExtension(true, pathLength, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
];
const leafExtensions = () => [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)];

function refusal(fn: () => unknown): ChainValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ChainValidationError);
    return error as ChainValidationError;
  }
  throw new Error('expected the chain to be refused');
}

function expectRefused(
  chain: Uint8Array[],
  anchors: Uint8Array[],
  code: ChainErrorCode,
  index: number,
  options: Partial<ChainValidationOptions> = {},
) {
  const error = refusal(() => validateChain(chain, anchors, { at: clock.now(), ...options }));
  expect({ code: error.code, index: error.certificateIndex }).toEqual({ code, index });
  return error;
}

describe('validateChain', () => {
  let root: IssuingCa;
  let inter: IssuingCa;
  let leaf: Uint8Array;
  let clientLeaf: Uint8Array;
  const rootKey = ecKey();
  const interKey = ecKey();
  const leafKey = ecKey();
  let workDir: string;

  beforeAll(async () => {
    const { custody } = testCustody(clock.now);
    await custody.importKey({ keyId: 'root', privateKey: rootKey, purpose: 'root-ca' });
    await custody.importKey({ keyId: 'inter', privateKey: interKey, purpose: 'issuing-ca' });
    const issuer = new CertificateIssuer({ custody, now: clock.now, randomBytes });
    root = await issuer.createRootCa({ keyId: 'root', subject: { commonName: 'Root' }, validityDays: 3650 });
    inter = await issuer.createIntermediateCa(root, {
      keyId: 'inter',
      subject: { commonName: 'Inter' },
      validityDays: 365,
    });
    const csr = await parseCsr(
      await createCsr({ signer: createSoftwareSigner(leafKey), subject: { commonName: 'x' } }),
    );
    leaf = await issuer.issueFromCsr(inter, csr, {
      kind: 'device-identity',
      deviceSerial: 'SN-1',
      validityDays: 30,
    });
    clientLeaf = await issuer.issueFromCsr(inter, csr, {
      kind: 'operational-client',
      subject: { commonName: 'client' },
      validityDays: 30,
    });
    workDir = mkdtempSync(join(tmpdir(), 'pki-chain-'));
  });

  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  /** openssl's verdict on the same chain, at the same time. */
  function opensslAccepts(chain: Uint8Array[], anchor: Uint8Array): boolean {
    writeFileSync(join(workDir, 'anchor.pem'), derToPem(anchor));
    writeFileSync(
      join(workDir, 'untrusted.pem'),
      chain
        .slice(1)
        .map((c) => derToPem(c))
        .join(''),
    );
    writeFileSync(join(workDir, 'leaf.pem'), derToPem(chain[0]!));
    const at = String(Math.floor(clock.now().getTime() / 1000));
    try {
      execFileSync(
        'openssl',
        ['verify', '-attime', at, '-CAfile', 'anchor.pem', '-untrusted', 'untrusted.pem', 'leaf.pem'],
        {
          cwd: workDir,
          stdio: 'ignore',
        },
      );
      return true;
    } catch {
      return false;
    }
  }

  it('accepts the chain with or without the anchor at its end', () => {
    const unrelated = root.certificate.slice();
    const result = validateChain([leaf, inter.certificate], [unrelated, root.certificate], {
      at: clock.now(),
    });
    expect(result.path).toEqual([leaf, inter.certificate, root.certificate]);
    expect(result.trustAnchor).toEqual(root.certificate);
    expect(result.leafPublicKey.equals(createSoftwareSigner(leafKey).publicKey)).toBe(true);
    expect(
      validateChain([leaf, inter.certificate, root.certificate], [root.certificate], { at: clock.now() })
        .path,
    ).toHaveLength(3);
    expect(opensslAccepts([leaf, inter.certificate], root.certificate)).toBe(true);
  });

  it('refuses an expired or not yet valid leaf', () => {
    const error = expectRefused([leaf, inter.certificate], [root.certificate], 'expired', 0, {
      at: new Date(clock.now().getTime() + 31 * DAY_MS),
    });
    expect(error.certificateSubject).toBe('CN=SN-1');
    expect(error.message).toContain('certificate 0 (CN=SN-1)');
    expectRefused([leaf, inter.certificate], [root.certificate], 'not-yet-valid', 0, {
      at: new Date(clock.now().getTime() - DAY_MS),
    });
  });

  it('refuses a chain under the wrong root, even one with the same name', async () => {
    const impostorKey = ecKey();
    const impostorSpki = createSoftwareSigner(impostorKey).publicKey.export({ type: 'spki', format: 'der' });
    const impostor = await forge({
      issuerKey: impostorKey,
      issuer: { commonName: 'Root' },
      subject: { commonName: 'Root' },
      subjectKey: impostorKey,
      extensions: [...caExtensions(), await x509.SubjectKeyIdentifierExtension.create(impostorSpki)],
    });
    const otherRoot = await forge({
      issuerKey: rootKey,
      issuer: { commonName: 'Other' },
      subject: { commonName: 'Other' },
      subjectKey: rootKey,
      extensions: caExtensions(),
    });
    expectRefused([leaf, inter.certificate], [impostor], 'untrusted-root', 1);
    expectRefused([leaf, inter.certificate], [otherRoot], 'untrusted-root', 1);
    expectRefused([leaf, inter.certificate, root.certificate], [otherRoot], 'untrusted-root', 2);
    expectRefused([leaf, inter.certificate], [], 'untrusted-root', 1);
  });

  it('refuses tampered certificates with bad-signature, naming the tampered one', () => {
    const tamper = (der: Uint8Array, text: string) => {
      const copy = Buffer.from(der);
      const at = copy.indexOf(text);
      expect(at).toBeGreaterThan(0);
      copy[at] = copy[at]! ^ 0x01;
      return new Uint8Array(copy);
    };
    expectRefused([tamper(leaf, 'SN-1'), inter.certificate], [root.certificate], 'bad-signature', 0);
    // An edited intermediate is reported itself, not as the leaf's issuer mismatch it also causes.
    expectRefused([leaf, tamper(inter.certificate, 'Inter')], [root.certificate], 'bad-signature', 1);
    const signatureTampered = Uint8Array.from(inter.certificate);
    signatureTampered[signatureTampered.length - 2]! ^= 0x01;
    expectRefused([leaf, signatureTampered], [root.certificate], 'bad-signature', 1);
  });

  it('refuses an intermediate that is not a CA, as openssl does', async () => {
    for (const extensions of [
      [new x509.BasicConstraintsExtension(false, undefined, true)],
      [new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
    ]) {
      const fakeCa = await forge({
        issuerKey: rootKey,
        issuer: { commonName: 'Root' },
        subject: { commonName: 'Not a CA' },
        subjectKey: interKey,
        extensions,
      });
      const underIt = await forge({
        issuerKey: interKey,
        issuer: { commonName: 'Not a CA' },
        subject: { commonName: 'victim' },
        subjectKey: leafKey,
        extensions: leafExtensions(),
      });
      expectRefused([underIt, fakeCa], [root.certificate], 'not-a-ca', 1);
      expect(opensslAccepts([underIt, fakeCa], root.certificate)).toBe(false);
    }
  });

  it('refuses a CA whose keyUsage lacks keyCertSign', async () => {
    const signingOnly = await forge({
      issuerKey: rootKey,
      issuer: { commonName: 'Root' },
      subject: { commonName: 'Signing only' },
      subjectKey: interKey,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      ],
    });
    const underIt = await forge({
      issuerKey: interKey,
      issuer: { commonName: 'Signing only' },
      subject: { commonName: 'victim' },
      subjectKey: leafKey,
      extensions: leafExtensions(),
    });
    expectRefused([underIt, signingOnly], [root.certificate], 'missing-key-cert-sign', 1);
    expect(opensslAccepts([underIt, signingOnly], root.certificate)).toBe(false);
  });

  it('enforces pathLenConstraint', async () => {
    const subCaKey = ecKey();
    const subCa = await forge({
      issuerKey: interKey,
      issuer: { commonName: 'Inter' },
      subject: { commonName: 'Sub CA' },
      subjectKey: subCaKey,
      extensions: caExtensions(),
    });
    const underSub = await forge({
      issuerKey: subCaKey,
      issuer: { commonName: 'Sub CA' },
      subject: { commonName: 'deep leaf' },
      subjectKey: leafKey,
      extensions: leafExtensions(),
    });
    expectRefused([underSub, subCa, inter.certificate], [root.certificate], 'path-length-exceeded', 2);
    expect(opensslAccepts([underSub, subCa, inter.certificate], root.certificate)).toBe(false);
  });

  it('refuses a certificate not issued by the next one in the chain', () => {
    expectRefused([leaf, root.certificate], [root.certificate], 'issuer-mismatch', 0);
  });

  it('refuses critical extensions it does not understand', async () => {
    const odd = await forge({
      issuerKey: interKey,
      issuer: { commonName: 'Inter' },
      subject: { commonName: 'odd' },
      subjectKey: leafKey,
      extensions: [
        ...leafExtensions(),
        new x509.Extension('1.3.6.1.4.1.99999.1', true, new Uint8Array([0x05, 0x00])),
      ],
    });
    expectRefused([odd, inter.certificate], [root.certificate], 'unsupported-critical-extension', 0);
  });

  it('checks the leaf usages asked for', () => {
    const anchors = [root.certificate];
    const ok = {
      leafKeyUsage: ['digitalSignature'] as const,
      leafExtendedKeyUsage: [ExtendedKeyUsageOid.clientAuth],
    };
    expect(() =>
      validateChain([clientLeaf, inter.certificate], anchors, { at: clock.now(), ...ok }),
    ).not.toThrow();
    // The device-identity leaf has no EKU extension, which allows any extended usage.
    expect(() => validateChain([leaf, inter.certificate], anchors, { at: clock.now(), ...ok })).not.toThrow();
    expectRefused([clientLeaf, inter.certificate], anchors, 'leaf-extended-key-usage', 0, {
      leafExtendedKeyUsage: [ExtendedKeyUsageOid.serverAuth],
    });
    expectRefused([leaf, inter.certificate], anchors, 'leaf-key-usage', 0, {
      leafKeyUsage: ['keyEncipherment'],
    });
  });

  it('refuses empty chains and unreadable certificates with typed errors', () => {
    expectRefused([], [root.certificate], 'empty-chain', 0);
    expect(() => validateChain([leaf], [root.certificate], { at: new Date('nope') })).toThrow(
      expect.objectContaining({ code: 'invalid-validity' }),
    );
    expectRefused([new Uint8Array([1, 2, 3])], [root.certificate], 'malformed-certificate', 0);
    expectRefused([leaf, inter.certificate], [new Uint8Array([0x30, 0x00])], 'malformed-certificate', 2);
    expectRefused(
      [leaf, Buffer.concat([inter.certificate, Buffer.of(0)])],
      [root.certificate],
      'malformed-certificate',
      1,
    );
  });

  it('reads third-party certificates: the open-sztp RSA roots', () => {
    const owner = pemToDer(fixtureText('sztp/open-sztp/ownershipCertificate.pem'));
    const anchor = pemToDer(fixtureText('sztp/open-sztp/trustAnchorCertificate.pem'));
    const at = new Date('2026-01-01T00:00:00Z');
    expect(validateChain([owner], [owner], { at }).path).toEqual([owner]);
    // Same subject name, different key: not the anchor that issued it.
    const error = refusal(() => validateChain([owner], [anchor], { at }));
    expect(error.code).toBe('untrusted-root');
    expect(error.certificateSubject).toContain('Google Bootstrapping Services Root CA');
  });
});
