import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSoftwareSigner } from '@ztp/protocol';
import { validateChain } from '../chain/validate-chain';
import { type SoftwareKeyCustody } from '../custody/software-key-custody';
import { createCsr } from '../csr/create-csr';
import { type ParsedCsr, parseCsr } from '../csr/parse-csr';
import { PkiError } from '../errors';
import { type KeySpec } from '../key-spec';
import { DAY_MS, testClock, testCustody } from '../support.testing';
import { readCertificate } from '../x509/certificate-facts';
import { derToPem } from '../x509/pem';
import { x509 } from '../x509/runtime';
import { CertificateIssuer, type IssuingCa, NOT_BEFORE_SKEW_MS } from './certificate-issuer';
import { ExtendedKeyUsageOid } from './profiles';

const START = '2026-06-01T00:00:00Z';

function sanOf(der: Uint8Array) {
  const cert = new x509.X509Certificate(der);
  return cert.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON() ?? [];
}

async function rejectsWith(promise: Promise<unknown>, code: string) {
  await expect(promise).rejects.toBeInstanceOf(PkiError);
  await expect(promise).rejects.toMatchObject({ code });
}

describe('CertificateIssuer', () => {
  const clock = testClock(START);
  let custody: SoftwareKeyCustody;
  let issuer: CertificateIssuer;
  const leafKeys = {} as Record<KeySpec, KeyObject>;
  let workDir: string;

  beforeAll(async () => {
    custody = testCustody(clock.now).custody;
    issuer = new CertificateIssuer({ custody, now: clock.now, randomBytes });
    // RSA keys are slow to make: one per size for the whole file, used both as CA keys and leaf keys.
    leafKeys['RSA-2048'] = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    leafKeys['RSA-3072'] = generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey;
    leafKeys['P-256'] = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    leafKeys['P-384'] = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    workDir = mkdtempSync(join(tmpdir(), 'pki-issuer-'));
  });

  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  let keyCounter = 0;
  async function caKey(spec: KeySpec): Promise<string> {
    const keyId = `ca-${spec}-${keyCounter++}`;
    if (spec.startsWith('RSA')) await custody.importKey({ keyId, privateKey: leafKeys[spec], purpose: 'ca' });
    else await custody.generateKey({ keyId, spec, purpose: 'ca' });
    return keyId;
  }

  async function hierarchy(rootSpec: KeySpec, interSpec: KeySpec) {
    const root = await issuer.createRootCa({
      keyId: await caKey(rootSpec),
      subject: { country: 'DE', organization: 'ZTP Test', commonName: `Root ${rootSpec}` },
      validityDays: 3650,
    });
    const inter = await issuer.createIntermediateCa(root, {
      keyId: await caKey(interSpec),
      subject: { organization: 'ZTP Test', commonName: `Issuing ${interSpec}` },
      validityDays: 1825,
    });
    return { root, inter };
  }

  async function csrFor(
    spec: KeySpec,
    subject = { commonName: 'from-the-device', organization: 'Device Says' },
  ) {
    const der = await createCsr({
      signer: createSoftwareSigner(leafKeys[spec]),
      subject,
      subjectAltNames: { dns: ['requested.example'], ip: ['198.51.100.9'] },
    });
    return parseCsr(der);
  }

  function opensslVerify(root: IssuingCa, inter: IssuingCa, leaf: Uint8Array): string {
    writeFileSync(join(workDir, 'root.pem'), derToPem(root.certificate));
    writeFileSync(join(workDir, 'inter.pem'), derToPem(inter.certificate));
    writeFileSync(join(workDir, 'leaf.pem'), derToPem(leaf));
    const at = String(Math.floor(clock.now().getTime() / 1000));
    return execFileSync(
      'openssl',
      ['verify', '-attime', at, '-CAfile', 'root.pem', '-untrusted', 'inter.pem', 'leaf.pem'],
      { cwd: workDir, encoding: 'utf8' },
    );
  }

  const matrix: [KeySpec, KeySpec, KeySpec][] = [
    ['P-256', 'P-256', 'P-256'],
    ['P-384', 'P-384', 'P-384'],
    ['RSA-2048', 'RSA-2048', 'RSA-2048'],
    ['RSA-3072', 'P-384', 'RSA-3072'],
  ];

  it.each(matrix)(
    'builds root %s -> intermediate %s -> leaf %s that validates here and in openssl',
    async (r, i, l) => {
      const { root, inter } = await hierarchy(r, i);
      const leaf = await issuer.issueFromCsr(inter, await csrFor(l), {
        kind: 'device-identity',
        deviceSerial: 'SN-0001',
        validityDays: 365,
      });

      const validated = validateChain([leaf, inter.certificate], [root.certificate], { at: clock.now() });
      expect(validated.path).toEqual([leaf, inter.certificate, root.certificate]);
      expect(validated.leafPublicKey.equals(createSoftwareSigner(leafKeys[l]).publicKey)).toBe(true);
      expect(opensslVerify(root, inter, leaf).trim()).toBe('leaf.pem: OK');

      const rootFacts = readCertificate(root.certificate);
      expect(rootFacts.subject).toBe(`C=DE, O=ZTP Test, CN=Root ${r}`);
      expect(rootFacts.parsed.issuer).toBe(rootFacts.subject);
      expect(rootFacts.basicConstraints).toEqual({ ca: true, pathLength: undefined });
      expect(rootFacts.keyUsage).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
      expect(rootFacts.criticalExtensionOids).toEqual(['2.5.29.19', '2.5.29.15']);
      expect(rootFacts.subjectKeyIdentifier).toMatch(/^[0-9a-f]{40}$/);

      const interFacts = readCertificate(inter.certificate);
      expect(interFacts.basicConstraints).toEqual({ ca: true, pathLength: 0 });
      expect(interFacts.keyUsage).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
      const aki = interFacts.parsed.getExtension(x509.AuthorityKeyIdentifierExtension);
      expect(aki?.keyId).toBe(rootFacts.subjectKeyIdentifier);
      expect(interFacts.parsed.issuer).toBe(rootFacts.subject);
    },
  );

  it('gives certificates random positive 16-byte serial numbers and the clock-driven validity', async () => {
    const { root, inter } = await hierarchy('P-256', 'P-256');
    const leaf = readCertificate(
      await issuer.issueFromCsr(inter, await csrFor('P-256'), {
        kind: 'device-identity',
        deviceSerial: 'SN-1',
        validityDays: 30,
      }),
    );
    const serials = [root.certificate, inter.certificate, leaf.der].map(
      (der) => new x509.X509Certificate(der).serialNumber,
    );
    for (const serial of serials) {
      expect(serial).toMatch(/^[0-7][0-9a-f]{31}$/);
      expect(serial).not.toMatch(/^00/);
    }
    expect(new Set(serials).size).toBe(3);
    const now = clock.now().getTime();
    expect(leaf.notBefore.getTime()).toBe(now - NOT_BEFORE_SKEW_MS);
    expect(leaf.notAfter.getTime()).toBe(now + 30 * DAY_MS);
  });

  it('device-identity: CN is the device serial; the CSR subject and SANs are not copied', async () => {
    const { inter } = await hierarchy('P-256', 'P-256');
    const der = await issuer.issueFromCsr(inter, await csrFor('P-256'), {
      kind: 'device-identity',
      deviceSerial: 'ABC-123',
      organization: 'Acme Devices',
      validityDays: 365,
    });
    const leaf = readCertificate(der);
    expect(leaf.subject).toBe('O=Acme Devices, CN=ABC-123');
    expect(leaf.basicConstraints).toEqual({ ca: false, pathLength: undefined });
    expect(leaf.keyUsage).toBe(x509.KeyUsageFlags.digitalSignature);
    expect(leaf.extendedKeyUsage).toBeUndefined();
    expect(sanOf(der)).toEqual([]);
    expect(leaf.parsed.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(
      readCertificate(inter.certificate).subjectKeyIdentifier,
    );
  });

  it('renewFromCsr keeps subject, SANs and EKU of the previous certificate for the new key, whatever the CSR asks', async () => {
    const { root, inter } = await hierarchy('P-256', 'P-256');
    const previous = await issuer.issueFromCsr(inter, await csrFor('P-384'), {
      kind: 'operational-client',
      subject: { organization: 'Tenant 7', commonName: 'device-7', serialNumber: 'SN-7' },
      subjectAltNames: { dns: ['device-7.tenant7.example'], uri: ['urn:ztp:device:7'] },
      validityDays: 90,
    });
    const renewed = await issuer.renewFromCsr(inter, previous, await csrFor('P-256'), 30, {
      crlUrl: 'http://ca.example/crl',
      ocspUrl: 'http://ca.example/ocsp',
    });
    const [before, after] = [readCertificate(previous), readCertificate(renewed)];
    expect(after.subject).toBe(before.subject);
    expect(sanOf(renewed)).toEqual(sanOf(previous));
    expect(after.extendedKeyUsage).toEqual([ExtendedKeyUsageOid.clientAuth]);
    expect(after.publicKey.export({ type: 'spki', format: 'der' })).toEqual(
      (await csrFor('P-256')).publicKey.export({ type: 'spki', format: 'der' }),
    );
    expect(after.notAfter.getTime() - clock.now().getTime()).toBe(30 * DAY_MS);
    expect(opensslVerify(root, inter, renewed)).toContain('leaf.pem: OK');
    await rejectsWith(
      issuer.renewFromCsr(inter, new Uint8Array([0x30, 0x00]), await csrFor('P-256'), 30),
      'malformed-certificate',
    );
  });

  it('operational-client: clientAuth, subject and SANs from the profile; CSR SANs only when allowed', async () => {
    const { inter } = await hierarchy('P-256', 'P-256');
    const csr = await csrFor('P-384');
    const strict = await issuer.issueFromCsr(inter, csr, {
      kind: 'operational-client',
      subject: { organization: 'Tenant 7', commonName: 'device-7' },
      subjectAltNames: { dns: ['device-7.tenant7.example'], uri: ['urn:ztp:device:7'] },
      validityDays: 90,
    });
    const facts = readCertificate(strict);
    expect(facts.subject).toBe('O=Tenant 7, CN=device-7');
    expect(facts.extendedKeyUsage).toEqual([ExtendedKeyUsageOid.clientAuth]);
    expect(sanOf(strict)).toEqual([
      { type: 'dns', value: 'device-7.tenant7.example' },
      { type: 'url', value: 'urn:ztp:device:7' },
    ]);

    const permissive = await issuer.issueFromCsr(inter, csr, {
      kind: 'operational-client',
      subject: 'from-csr',
      subjectAltNames: { dns: ['device-7.tenant7.example'] },
      allowCsrSubjectAltNames: true,
      validityDays: 90,
    });
    expect(readCertificate(permissive).subject).toBe('O=Device Says, CN=from-the-device');
    expect(sanOf(permissive)).toEqual([
      { type: 'dns', value: 'device-7.tenant7.example' },
      { type: 'dns', value: 'requested.example' },
      { type: 'ip', value: '198.51.100.9' },
    ]);
    expect(() =>
      validateChain([permissive, inter.certificate], [inter.certificate], {
        at: clock.now(),
        leafKeyUsage: ['digitalSignature'],
        leafExtendedKeyUsage: [ExtendedKeyUsageOid.clientAuth],
      }),
    ).not.toThrow();
  });

  it('ldevid: serialNumber and CN carry the device serial; serverAuth and clientAuth', async () => {
    const { inter } = await hierarchy('P-256', 'P-256');
    const der = await issuer.issueFromCsr(inter, await csrFor('P-256'), {
      kind: 'ldevid',
      deviceSerial: 'SN-77',
      subjectAltNames: { dns: ['sn-77.devices.example'] },
      validityDays: 365,
    });
    const facts = readCertificate(der);
    expect(facts.subject).toBe('CN=SN-77, 2.5.4.5=SN-77');
    expect(facts.extendedKeyUsage).toEqual([ExtendedKeyUsageOid.serverAuth, ExtendedKeyUsageOid.clientAuth]);
    expect(sanOf(der)).toEqual([{ type: 'dns', value: 'sn-77.devices.example' }]);
  });

  it('caps a leaf at its issuer notAfter', async () => {
    const root = await issuer.createRootCa({
      keyId: await caKey('P-256'),
      subject: { commonName: 'Short' },
      validityDays: 10,
    });
    const leaf = readCertificate(
      await issuer.issueFromCsr(root, await csrFor('P-256'), {
        kind: 'device-identity',
        deviceSerial: 'x',
        validityDays: 365,
      }),
    );
    expect(leaf.notAfter).toEqual(readCertificate(root.certificate).notAfter);
  });

  it('refuses issuers that cannot issue: not a CA, wrong custody key, expired, path length used up', async () => {
    const { root, inter } = await hierarchy('P-256', 'P-256');
    const leafKeyId = await caKey('P-256');
    const leafCsr = await parseCsr(
      await createCsr({ signer: await custody.signer(leafKeyId), subject: { commonName: 'leaf' } }),
    );
    const leaf = await issuer.issueFromCsr(inter, leafCsr, {
      kind: 'device-identity',
      deviceSerial: 'l',
      validityDays: 30,
    });
    const csr = await csrFor('P-256');
    const profile = { kind: 'device-identity', deviceSerial: 'x', validityDays: 30 } as const;

    await rejectsWith(
      issuer.issueFromCsr({ keyId: leafKeyId, certificate: leaf }, csr, profile),
      'issuer-not-ca',
    );
    await rejectsWith(
      issuer.issueFromCsr({ keyId: root.keyId, certificate: inter.certificate }, csr, profile),
      'issuer-key-mismatch',
    );
    await rejectsWith(
      issuer.createIntermediateCa(inter, {
        keyId: await caKey('P-256'),
        subject: { commonName: 'sub' },
        validityDays: 30,
      }),
      'issuer-path-length-exhausted',
    );
    await rejectsWith(
      issuer.createIntermediateCa(root, {
        keyId: await caKey('P-256'),
        subject: { commonName: 'sub' },
        validityDays: 30,
        pathLength: -1,
      }),
      'invalid-profile',
    );
    await rejectsWith(
      issuer.issueFromCsr({ keyId: inter.keyId, certificate: new Uint8Array([0x30, 0]) }, csr, profile),
      'malformed-certificate',
    );

    const later = new CertificateIssuer({
      custody,
      now: () => new Date(clock.now().getTime() + 3651 * DAY_MS),
      randomBytes,
    });
    await rejectsWith(later.issueFromCsr(root, csr, profile), 'issuer-not-valid');
  });

  it('refuses bad names and validity from the profile', async () => {
    const { inter } = await hierarchy('P-256', 'P-256');
    const csr: ParsedCsr = await csrFor('P-256');
    const client = (extra: object) =>
      issuer.issueFromCsr(inter, csr, {
        kind: 'operational-client',
        subject: { commonName: 'ok' },
        validityDays: 30,
        ...extra,
      });
    await rejectsWith(client({ subjectAltNames: { dns: ['bad name.example'] } }), 'invalid-name');
    await rejectsWith(client({ subjectAltNames: { ip: ['300.1.1.1'] } }), 'invalid-name');
    await rejectsWith(client({ subjectAltNames: { uri: ['not a uri'] } }), 'invalid-name');
    await rejectsWith(client({ subject: { country: 'Germany' } }), 'invalid-name');
    await rejectsWith(client({ subject: { commonName: 'line\nbreak' } }), 'invalid-name');
    await rejectsWith(client({ subject: {} }), 'invalid-name');
    await rejectsWith(client({ validityDays: 0 }), 'invalid-validity');
    await rejectsWith(client({ validityDays: Number.NaN }), 'invalid-validity');
    await rejectsWith(
      issuer.issueFromCsr(inter, csr, { kind: 'ldevid', deviceSerial: 'has_underscore', validityDays: 30 }),
      'invalid-name',
    );
  });

  it('keeps the DN value whole: commas and equals signs do not make new attributes', async () => {
    const { inter } = await hierarchy('P-256', 'P-256');
    const der = await issuer.issueFromCsr(inter, await csrFor('P-256'), {
      kind: 'operational-client',
      subject: { commonName: 'a, O=Evil' },
      validityDays: 30,
    });
    const name = new x509.X509Certificate(der).subjectName;
    expect(name.getField('CN')).toEqual(['a, O=Evil']);
    expect(name.getField('O')).toEqual([]);
  });

  it('signs only through custody: a destroyed CA key issues nothing', async () => {
    const { inter } = await hierarchy('P-256', 'P-256');
    await custody.destroyKey(inter.keyId);
    await rejectsWith(
      issuer.issueFromCsr(inter, await csrFor('P-256'), {
        kind: 'device-identity',
        deviceSerial: 'x',
        validityDays: 1,
      }),
      'key-not-found',
    );
  });
});
