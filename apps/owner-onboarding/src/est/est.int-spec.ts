import 'reflect-metadata';
import { execFile, spawnSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from '@peculiar/x509';
import {
  AuditEventEntity,
  EstEnrollmentTokenEntity,
  IssuedCertificateEntity,
  OwnerCaStore,
  TenantEntity,
  WebhookDeliveryEntity,
  WebhookEndpointEntity,
} from '@ztp/persistence';
import { CertificateIssuer, createCsr, derToPem, estBase64Decode, parseCertsOnly, parseCsr } from '@ztp/pki';
import { createSoftwareSigner } from '@ztp/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnerCertificateAuthority } from '../certificates/owner-certificate-authority';
import {
  createOwner,
  provisionDevice,
  type TestDevice,
  type TestOwner,
} from '../testing/onboarding-fixtures';
import {
  type OwnerOnboardingHarness,
  startOwnerOnboardingHarness,
} from '../testing/owner-onboarding-harness';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Answer {
  status: number;
  type: string | undefined;
  encoding: string | undefined;
  text: string;
}

const DAY = 86_400_000;

describe('EST (RFC 7030) on owner onboarding', () => {
  let harness: OwnerOnboardingHarness;
  let owner: TestOwner;
  let device: TestDevice;
  let ca: OwnerCertificateAuthority;
  let tlsPort: number;
  const workDir = mkdtempSync(join(tmpdir(), 'est-int-'));
  const file = (name: string) => join(workDir, name);
  const openssl = (args: string[]) => spawnSync('openssl', args, { cwd: workDir, encoding: 'utf8' });
  const opensslAsync = (args: string[]) =>
    new Promise<{ stdout: string; stderr: string }>((resolve) => {
      execFile('openssl', args, { cwd: workDir, encoding: 'utf8', timeout: 30_000 }, (_err, stdout, stderr) =>
        resolve({ stdout, stderr }),
      );
    });
  const label = () => owner.tenant.id;

  beforeAll(async () => {
    expect(
      openssl([
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        'server.key',
        '-out',
        'server.pem',
      ]).status,
    ).toBe(0);
    tlsPort = await freePort();
    harness = await startOwnerOnboardingHarness({
      EST_TLS_CERT_FILE: file('server.pem'),
      EST_TLS_KEY_FILE: file('server.key'),
      OWNER_ONBOARDING_EST_TLS_PORT: String(tlsPort),
      EST_TRUSTED_PROXIES: '127.0.0.1,::1',
    });
    owner = await createOwner(harness.dataSource, harness.custody);
    // The owner's CA from ten days ago, so a certificate that has already expired can be issued below.
    await new OwnerCaStore(harness.dataSource, harness.custody, () => new Date(Date.now() - 10 * DAY)).ensure(
      owner.tenant.id,
    );
    device = await provisionDevice(harness.dataSource, { owner });
    ca = harness.instance.app.get(OwnerCertificateAuthority);
    writeFileSync(file('ca.pem'), derToPem(await ca.caCertificate(owner.tenant.id)));
    await harness.dataSource.getRepository(WebhookEndpointEntity).save({
      tenantId: owner.tenant.id,
      url: 'https://hooks.example.com/est',
      description: null,
      secretSealed: Buffer.alloc(32),
      eventTypes: ['certificate.renewed', 'certificate.revoked', 'certificate.issued'],
      enabled: true,
      createdBy: 'user:test',
    });
  }, 60_000);
  afterAll(async () => {
    await harness?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  const newKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const csrFor = async (key: KeyObject, signWith: KeyObject = key) => {
    const honest = createSoftwareSigner(key);
    // With another key to sign, the request claims a key its signer does not hold.
    const actual = createSoftwareSigner(signWith);
    const signer = {
      alg: honest.alg,
      publicKey: honest.publicKey,
      sign: (data: Uint8Array) => actual.sign(data),
    };
    return createCsr({ signer, subject: { commonName: 'whatever the device asks' } });
  };
  const base64 = (der: Uint8Array) => Buffer.from(der).toString('base64');

  async function issueFirst(key: KeyObject): Promise<Uint8Array> {
    return ca.issue({
      context: { ownerTenantId: owner.tenant.id, deviceId: device.deviceId, guidHex: device.guidHex },
      csr: await parseCsr(await csrFor(key)),
      kind: 'simpleenroll',
      validityDays: 30,
    });
  }

  function overTls(
    path: string,
    options: { method?: string; body?: string; cert?: Uint8Array; key?: KeyObject; type?: string } = {},
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: tlsPort,
          method: options.method ?? 'POST',
          path,
          ca: openssl(['x509', '-in', 'server.pem']).stdout,
          ...(options.cert ? { cert: derToPem(options.cert) } : {}),
          ...(options.key ? { key: options.key.export({ type: 'pkcs8', format: 'pem' }) } : {}),
          headers: { 'Content-Type': options.type ?? 'application/pkcs10' },
          agent: false,
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              type: response.headers['content-type'],
              encoding: response.headers['content-transfer-encoding'] as string | undefined,
              text,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(options.body);
    });
  }

  async function reenroll(current: { cert: Uint8Array; key: KeyObject }, csr: Uint8Array): Promise<Answer> {
    return overTls(`/.well-known/est/simplereenroll`, { ...current, body: base64(csr) });
  }

  const leafOf = (answer: Answer) => {
    const certs = parseCertsOnly(estBase64Decode(answer.text));
    expect(certs).toHaveLength(1);
    return certs[0]!;
  };
  const problem = (answer: Answer) => {
    expect(answer.type).toContain('application/problem+json');
    return JSON.parse(answer.text) as { type: string; detail: string };
  };
  const ocsp = (leaf: string) =>
    opensslAsync([
      'ocsp',
      '-issuer',
      'ca.pem',
      '-CAfile',
      'ca.pem',
      '-cert',
      leaf,
      '-url',
      `${harness.instance.url}/pki/owners/${label()}/ocsp`,
    ]);

  it('cacerts and csrattrs: RFC 7030 media types, base64, what openssl reads', async () => {
    const cacerts = await fetch(`${harness.instance.url}/.well-known/est/${label()}/cacerts`);
    expect(cacerts.status).toBe(200);
    expect(cacerts.headers.get('content-type')).toBe('application/pkcs7-mime; smime-type=certs-only');
    expect(cacerts.headers.get('content-transfer-encoding')).toBe('base64');
    writeFileSync(file('cacerts.p7'), estBase64Decode(await cacerts.text()));
    const printed = openssl(['pkcs7', '-inform', 'DER', '-in', 'cacerts.p7', '-print_certs']);
    expect(printed.status).toBe(0);
    expect(printed.stdout).toContain('Device Operations CA');

    const attrs = await fetch(`${harness.instance.url}/.well-known/est/${label()}/csrattrs`);
    expect(attrs.headers.get('content-type')).toBe('application/csrattrs');
    writeFileSync(file('csrattrs.der'), estBase64Decode(await attrs.text()));
    const parsed = openssl(['asn1parse', '-inform', 'DER', '-in', 'csrattrs.der']).stdout;
    expect(parsed).toContain('prime256v1');
    expect(parsed).toContain('ecdsa-with-SHA256');

    const unlabelled = await fetch(`${harness.instance.url}/.well-known/est/cacerts`);
    expect(unlabelled.status).toBe(404);
    const unknown = await fetch(
      `${harness.instance.url}/.well-known/est/00000000-0000-4000-8000-000000000000/cacerts`,
    );
    expect(unknown.status).toBe(404);
  });

  it('simplereenroll over TLS: new certificate for the new key, same subject and SANs, old one superseded (openssl verify, OCSP, CRL)', async () => {
    const oldKey = newKey();
    const old = await issueFirst(oldKey);
    const freshKey = newKey();
    const answer = await reenroll({ cert: old, key: oldKey }, await csrFor(freshKey));
    expect(answer.status, answer.text).toBe(200);
    expect(answer.type).toBe('application/pkcs7-mime; smime-type=certs-only');
    expect(answer.encoding).toBe('base64');
    const renewed = leafOf(answer);
    const [before, after] = [new X509Certificate(old), new X509Certificate(renewed)];
    expect(after.subject).toBe(before.subject);
    expect(after.serialNumber).not.toBe(before.serialNumber);
    expect(Buffer.from(after.publicKey.rawData)).toEqual(
      createPublicKey(freshKey).export({ type: 'spki', format: 'der' }),
    );
    writeFileSync(file('old.pem'), derToPem(old));
    writeFileSync(file('renewed.pem'), derToPem(renewed));
    expect(openssl(['verify', '-CAfile', 'ca.pem', 'renewed.pem']).stdout.trim()).toBe('renewed.pem: OK');

    const oldStatus = await ocsp('old.pem');
    expect(oldStatus.stderr).toContain('Response verify OK');
    expect(oldStatus.stdout).toContain('old.pem: revoked');
    expect(oldStatus.stdout).toContain('Reason: superseded');
    expect((await ocsp('renewed.pem')).stdout).toContain('renewed.pem: good');

    const crl = await fetch(`${harness.instance.url}/pki/owners/${label()}/crl`);
    writeFileSync(file('crl.der'), new Uint8Array(await crl.arrayBuffer()));
    openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-out', 'crl.pem']);
    const check = (leaf: string) =>
      openssl(['verify', '-crl_check', '-CAfile', 'ca.pem', '-CRLfile', 'crl.pem', leaf]);
    expect(check('old.pem').stdout + check('old.pem').stderr).toContain('certificate revoked');
    expect(check('renewed.pem').stdout.trim()).toBe('renewed.pem: OK');

    const rows = harness.dataSource.getRepository(IssuedCertificateEntity);
    const renewedRow = await rows.findOneByOrFail({ serialNumber: after.serialNumber.toLowerCase() });
    const oldRow = await rows.findOneByOrFail({ serialNumber: before.serialNumber.toLowerCase() });
    expect(renewedRow).toMatchObject({
      kind: 'simplereenroll',
      replacesCertificateId: oldRow.id,
      revokedAt: null,
    });
    expect(oldRow.revocationReason).toBe('superseded');
    const audit = await harness.dataSource
      .getRepository(AuditEventEntity)
      .findBy({ tenantId: owner.tenant.id, eventType: 'certificate.renewed' });
    expect(audit.map((event) => event.data['certificateId'])).toContain(renewedRow.id);
    const hooks = await harness.dataSource
      .getRepository(WebhookDeliveryEntity)
      .findBy({ tenantId: owner.tenant.id });
    expect(hooks.map((hook) => hook.eventType)).toEqual(
      expect.arrayContaining(['certificate.renewed', 'certificate.revoked']),
    );

    // The superseded certificate cannot renew again, and the renewed one only with yet another key.
    const again = await reenroll({ cert: old, key: oldKey }, await csrFor(newKey()));
    expect(again.status).toBe(403);
    expect(problem(again).type).toBe('https://ztp.dev/problems/est-certificate-revoked');
    const sameKey = await reenroll({ cert: renewed, key: freshKey }, await csrFor(freshKey));
    expect(sameKey.status).toBe(400);
    expect(problem(sameKey)).toMatchObject({ type: 'https://ztp.dev/problems/est-same-key' });
    const forged = await reenroll({ cert: renewed, key: freshKey }, await csrFor(newKey(), newKey()));
    expect(forged.status).toBe(400);
    expect(problem(forged).type).toBe('https://ztp.dev/problems/est-bad-csr-signature');
    expect((await rows.findOneByOrFail({ id: renewedRow.id })).revokedAt).toBeNull();
  });

  it('refuses re-enrolment without a client certificate, with one the owner CA did not issue, and with garbage', async () => {
    const none = await overTls('/.well-known/est/simplereenroll', { body: base64(await csrFor(newKey())) });
    expect(none.status).toBe(401);
    const strangerKey = newKey();
    writeFileSync(file('stranger.key'), strangerKey.export({ type: 'pkcs8', format: 'pem' }));
    openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      'stranger.key',
      '-subj',
      '/CN=stranger',
      '-out',
      'stranger.pem',
    ]);
    const strangerDer = new X509Certificate(openssl(['x509', '-in', 'stranger.pem']).stdout).rawData;
    const stranger = await reenroll(
      { cert: new Uint8Array(strangerDer), key: strangerKey },
      await csrFor(newKey()),
    );
    expect(stranger.status).toBe(403);
    expect(problem(stranger).type).toBe('https://ztp.dev/problems/est-unknown-certificate');

    const key = newKey();
    const current = await issueFirst(key);
    const notBase64 = await overTls('/.well-known/est/simplereenroll', { cert: current, key, body: '%%%' });
    expect(notBase64.status).toBe(400);
    const notCsr = await overTls('/.well-known/est/simplereenroll', {
      cert: current,
      key,
      body: base64(randomBytes(40)),
    });
    expect(notCsr.status).toBe(400);
    expect(problem(notCsr).type).toBe('https://ztp.dev/problems/est-malformed-csr');
    const wrongType = await overTls('/.well-known/est/simplereenroll', {
      cert: current,
      key,
      body: '{}',
      type: 'application/json',
    });
    expect(wrongType.status).toBe(415);
    const served = await harness.dataSource
      .getRepository(IssuedCertificateEntity)
      .findOneByOrFail({ fingerprint: createHash('sha256').update(current).digest('hex') });
    expect(served.revokedAt).toBeNull();
  });

  it('an expired certificate is refused past the owner grace and accepted within it', async () => {
    const key = newKey();
    const issuer = new CertificateIssuer({
      custody: harness.custody,
      now: () => new Date(Date.now() - 3 * DAY),
      randomBytes: (n) => randomBytes(n),
    });
    const caRow = await new OwnerCaStore(harness.dataSource, harness.custody).find(owner.tenant.id);
    const expired = await issuer.issueFromCsr(
      { keyId: caRow!.custodyKeyId, certificate: new Uint8Array(caRow!.certificate) },
      await parseCsr(await csrFor(key)),
      { kind: 'operational-client', subject: { commonName: 'expired' }, validityDays: 1 },
    );
    await harness.dataSource.transaction((manager) =>
      ca.record(manager, {
        ownerTenantId: owner.tenant.id,
        deviceId: device.deviceId,
        guid: device.guidHex,
        der: expired,
        kind: 'simpleenroll',
        replacesCertificateId: null,
      }),
    );
    const refused = await reenroll({ cert: expired, key }, await csrFor(newKey()));
    expect(refused.status).toBe(403);
    expect(problem(refused)).toMatchObject({ type: 'https://ztp.dev/problems/est-certificate-expired' });
    expect(problem(refused).detail).toContain('onboard again');

    await harness.dataSource
      .getRepository(TenantEntity)
      .update({ id: owner.tenant.id }, { settings: { certificateReenrollGraceSeconds: 7 * 86_400 } });
    const accepted = await reenroll({ cert: expired, key }, await csrFor(newKey()));
    expect(accepted.status, accepted.text).toBe(200);
    expect(new X509Certificate(leafOf(accepted)).subject).toBe('CN=expired');
    await harness.dataSource.getRepository(TenantEntity).update({ id: owner.tenant.id }, { settings: {} });
  });

  it('simplereenroll on the plain port with the client certificate from a trusted proxy header', async () => {
    const key = newKey();
    const current = await issueFirst(key);
    const response = await fetch(`${harness.instance.url}/.well-known/est/${label()}/simplereenroll`, {
      method: 'POST',
      headers: {
        'content-type': 'application/pkcs10',
        'x-client-cert': encodeURIComponent(derToPem(current)),
      },
      body: base64(await csrFor(newKey())),
    });
    expect(response.status).toBe(200);
    expect(parseCertsOnly(estBase64Decode(await response.text()))).toHaveLength(1);
  });

  it('simpleenroll with a one-time token: enrols once, then refuses the token; no or a wrong token is 401', async () => {
    const token = `est_${randomBytes(32).toString('base64url')}`;
    await harness.dataSource.getRepository(EstEnrollmentTokenEntity).save({
      ownerTenantId: owner.tenant.id,
      deviceId: device.deviceId,
      tokenSha256: createHash('sha256').update(token).digest('hex'),
      expiresAt: new Date(Date.now() + DAY),
      createdBy: 'user:test',
    });
    const csr = base64(await csrFor(newKey()));
    const post = (authorization: string | undefined) =>
      fetch(`${harness.instance.url}/.well-known/est/${label()}/simpleenroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/pkcs10', ...(authorization ? { authorization } : {}) },
        body: csr,
      });
    expect((await post(undefined)).status).toBe(401);
    expect((await post('Bearer est_wrong')).status).toBe(401);
    const basic = `Basic ${Buffer.from(`device:${token}`).toString('base64')}`;
    const first = await post(basic);
    expect(first.status).toBe(200);
    const leaf = parseCertsOnly(estBase64Decode(await first.text()))[0]!;
    writeFileSync(file('enrolled.pem'), derToPem(leaf));
    expect(openssl(['verify', '-CAfile', 'ca.pem', 'enrolled.pem']).stdout.trim()).toBe('enrolled.pem: OK');
    const second = await post(`Bearer ${token}`);
    expect(second.status).toBe(403);
    expect(((await second.json()) as { type: string }).type).toBe(
      'https://ztp.dev/problems/est-enrollment-token-used',
    );
    const spent = await harness.dataSource.getRepository(EstEnrollmentTokenEntity).findOneByOrFail({
      tokenSha256: createHash('sha256').update(token).digest('hex'),
    });
    expect(spent.usedAt).not.toBeNull();
    expect(spent.certificateId).not.toBeNull();
  });
});
