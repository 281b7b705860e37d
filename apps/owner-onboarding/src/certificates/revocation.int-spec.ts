import { execFile, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditEventEntity, CertificateRevocations, IssuedCertificateEntity } from '@ztp/persistence';
import { createCsr, derToPem, parseCsr } from '@ztp/pki';
import { createSoftwareSigner } from '@ztp/protocol';
import { X509Certificate } from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { OwnerCertificateAuthority } from './owner-certificate-authority';

describe('CRL and OCSP of an owner CA, checked by openssl', () => {
  let harness: OwnerOnboardingHarness;
  let owner: TestOwner;
  let device: TestDevice;
  let workDir: string;
  let revocations: CertificateRevocations;
  const file = (name: string) => join(workDir, name);
  const openssl = (args: string[]) => spawnSync('openssl', args, { cwd: workDir, encoding: 'utf8' });
  // openssl as an OCSP client talks to the server in this process: it must not block the event loop.
  const opensslAsync = (args: string[]) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile('openssl', args, { cwd: workDir, encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) =>
        resolve({ status: err ? 1 : 0, stdout, stderr }),
      );
    });
  const base = () => `${harness.instance.url}/pki/owners/${owner.tenant.id}`;

  beforeAll(async () => {
    harness = await startOwnerOnboardingHarness();
    owner = await createOwner(harness.dataSource, harness.custody);
    device = await provisionDevice(harness.dataSource, { owner });
    revocations = harness.instance.app.get(CertificateRevocations);
    workDir = mkdtempSync(join(tmpdir(), 'revocation-int-'));
  }, 60_000);
  afterAll(async () => {
    await harness?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  async function issue(): Promise<Uint8Array> {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const csr = await parseCsr(
      await createCsr({ signer: createSoftwareSigner(key), subject: { commonName: 'x' } }),
    );
    return harness.instance.app.get(OwnerCertificateAuthority).issue({
      context: { ownerTenantId: owner.tenant.id, deviceId: device.deviceId, guidHex: device.guidHex },
      csr,
      kind: 'simpleenroll',
      validityDays: 30,
    });
  }

  async function fetchCrl(): Promise<void> {
    const response = await fetch(`${base()}/crl`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pkix-crl');
    writeFileSync(file('crl.der'), new Uint8Array(await response.arrayBuffer()));
    expect(openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-out', 'crl.pem']).status).toBe(0);
  }

  const verify = (leaf: string) =>
    openssl(['verify', '-crl_check', '-CAfile', 'ca.pem', '-CRLfile', 'crl.pem', leaf]);
  const ocsp = (leaf: string) =>
    opensslAsync(['ocsp', '-issuer', 'ca.pem', '-CAfile', 'ca.pem', '-cert', leaf, '-url', `${base()}/ocsp`]);

  it('a revoked certificate fails openssl verify -crl_check and OCSP says revoked; a good one passes', async () => {
    const first = await issue();
    const second = await issue();
    const ca = await harness.instance.app.get(OwnerCertificateAuthority).caCertificate(owner.tenant.id);
    writeFileSync(file('ca.pem'), derToPem(ca));
    writeFileSync(file('first.pem'), derToPem(first));
    writeFileSync(file('second.pem'), derToPem(second));

    const publicBase = `${harness.config.apps.ownerOnboarding.publicUrl}/pki/owners/${owner.tenant.id}`;
    const text = openssl(['x509', '-in', 'first.pem', '-noout', '-text']).stdout;
    expect(text).toContain(`URI:${publicBase}/crl`);
    expect(text).toContain(`OCSP - URI:${publicBase}/ocsp`);

    await fetchCrl();
    expect(verify('first.pem').stdout.trim()).toBe('first.pem: OK');
    const goodAnswer = await ocsp('first.pem');
    expect(goodAnswer.stderr).toContain('Response verify OK');
    expect(goodAnswer.stdout).toContain('first.pem: good');

    const serial = new X509Certificate(first).serialNumber;
    const revoked = await harness.dataSource.transaction((manager) =>
      revocations.revoke(manager, {
        ownerTenantId: owner.tenant.id,
        target: { serialNumber: serial },
        reason: 'keyCompromise',
        actor: 'user:test',
      }),
    );
    expect(revoked.map((r) => r.serialNumber)).toEqual([serial.toLowerCase()]);

    await fetchCrl();
    const refused = verify('first.pem');
    expect(refused.status).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain('certificate revoked');
    expect(verify('second.pem').stdout.trim()).toBe('second.pem: OK');
    expect(openssl(['crl', '-in', 'crl.pem', '-noout', '-text']).stdout).toMatch(/CRL Number:\s+2\b/);

    const revokedAnswer = await ocsp('first.pem');
    expect(revokedAnswer.stderr).toContain('Response verify OK');
    expect(revokedAnswer.stdout).toContain('first.pem: revoked');
    expect(revokedAnswer.stdout).toContain('Reason: keyCompromise');
    expect((await ocsp('second.pem')).stdout).toContain('second.pem: good');

    const events = await harness.dataSource
      .getRepository(AuditEventEntity)
      .findBy({ tenantId: owner.tenant.id, eventType: 'certificate.revoked' });
    expect(events.map((e) => e.data['serialNumber'])).toEqual([serial.toLowerCase()]);
    const row = await harness.dataSource.getRepository(IssuedCertificateEntity).findOneByOrFail({
      serialNumber: serial.toLowerCase(),
    });
    expect(row.revocationReason).toBe('keyCompromise');
  });

  it('revoking again changes nothing; revoking by device revokes the rest', async () => {
    const before = await harness.dataSource.getRepository(IssuedCertificateEntity).findBy({
      deviceId: device.deviceId,
    });
    const again = await harness.dataSource.transaction((manager) =>
      revocations.revoke(manager, {
        ownerTenantId: owner.tenant.id,
        target: { deviceId: device.deviceId },
        reason: 'cessationOfOperation',
        actor: 'user:test',
      }),
    );
    expect(again).toHaveLength(before.filter((c) => !c.revokedAt).length);
    const repeat = await harness.dataSource.transaction((manager) =>
      revocations.revoke(manager, {
        ownerTenantId: owner.tenant.id,
        target: { deviceId: device.deviceId },
        reason: 'cessationOfOperation',
        actor: 'user:test',
      }),
    );
    expect(repeat).toEqual([]);
    await fetchCrl();
    expect(verify('second.pem').stdout + verify('second.pem').stderr).toContain('certificate revoked');
  });

  it('a certificate of another CA is unknown; garbage is malformedRequest; a non-OCSP body is a 415 problem', async () => {
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(file('other-key.pem'), otherKey.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(
      openssl(['req', '-x509', '-new', '-key', 'other-key.pem', '-subj', '/CN=other', '-out', 'other.pem'])
        .status,
    ).toBe(0);
    const unknown = await opensslAsync([
      'ocsp',
      '-issuer',
      'other.pem',
      '-cert',
      'other.pem',
      '-url',
      `${base()}/ocsp`,
      '-CAfile',
      'ca.pem',
    ]);
    expect(unknown.stdout).toContain('other.pem: unknown');

    const garbage = await fetch(`${base()}/ocsp`, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]),
    });
    expect(garbage.status).toBe(200);
    writeFileSync(file('garbage.der'), new Uint8Array(await garbage.arrayBuffer()));
    expect(openssl(['ocsp', '-respin', 'garbage.der', '-resp_text', '-noverify']).stdout).toContain(
      'malformedrequest',
    );

    const wrongType = await fetch(`${base()}/ocsp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(wrongType.status).toBe(415);
    expect(wrongType.headers.get('content-type')).toContain('application/problem+json');

    const noCa = await fetch(`${harness.instance.url}/pki/owners/00000000-0000-4000-8000-000000000000/crl`);
    expect(noCa.status).toBe(404);
    const notUuid = await fetch(`${harness.instance.url}/pki/owners/nope/crl`);
    expect(notUuid.status).toBe(404);
  });
});
