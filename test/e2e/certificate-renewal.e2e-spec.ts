import { execFile, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDeviceSim, type SimIo } from '@ztp/device-sim';
import { CertificateRevocations, IssuedCertificateEntity } from '@ztp/persistence';
import { createCsr, derToPem, parseCsr } from '@ztp/pki';
import { createSoftwareSigner } from '@ztp/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnerCertificateAuthority } from '../../apps/owner-onboarding/src/certificates/owner-certificate-authority';
import {
  createOwner,
  provisionDevice,
  type TestDevice,
  type TestOwner,
} from '../../apps/owner-onboarding/src/testing/onboarding-fixtures';
import {
  type OwnerOnboardingHarness,
  startOwnerOnboardingHarness,
} from '../../apps/owner-onboarding/src/testing/owner-onboarding-harness';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function bufferIo(): SimIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    interactive: false,
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
  };
  return io;
}

describe('device-sim renew: EST re-enrolment against owner onboarding, checked by openssl', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ztp-e2e-renew-'));
  const folder = join(dir, 'device-files');
  const file = (name: string) => join(dir, name);
  const openssl = (args: string[]) => spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  let harness: OwnerOnboardingHarness;
  let owner: TestOwner;
  let device: TestDevice;
  let estUrl: string;

  beforeAll(async () => {
    mkdirSync(folder);
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
    ]);
    const port = await freePort();
    harness = await startOwnerOnboardingHarness({
      EST_TLS_CERT_FILE: file('server.pem'),
      EST_TLS_KEY_FILE: file('server.key'),
      OWNER_ONBOARDING_EST_TLS_PORT: String(port),
    });
    estUrl = `https://127.0.0.1:${port}/.well-known/est`;
    owner = await createOwner(harness.dataSource, harness.custody);
    device = await provisionDevice(harness.dataSource, { owner });
    // The device as fdo.csr leaves it: operational key, certificate and the owner CA in its folder.
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const ca = harness.instance.app.get(OwnerCertificateAuthority);
    const certificate = await ca.issue({
      context: { ownerTenantId: owner.tenant.id, deviceId: device.deviceId, guidHex: device.guidHex },
      csr: await parseCsr(
        await createCsr({ signer: createSoftwareSigner(key), subject: { commonName: 'd' } }),
      ),
      kind: 'simpleenroll',
      validityDays: 30,
    });
    writeFileSync(join(folder, 'operational.key'), key.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
    });
    writeFileSync(join(folder, 'operational.crt'), derToPem(certificate));
    writeFileSync(join(folder, 'operational-ca.crt'), derToPem(await ca.caCertificate(owner.tenant.id)));
    writeFileSync(file('ca.pem'), derToPem(await ca.caCertificate(owner.tenant.id)));
  }, 60_000);

  afterAll(async () => {
    await harness?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const renew = async () => {
    const io = bufferIo();
    const code = await runDeviceSim(
      ['renew', '--url', estUrl, '--folder', folder, '--server-trust', file('server.pem'), '--json'],
      io,
    );
    return { code, io };
  };
  const ocsp = (leaf: string) =>
    new Promise<string>((resolve) =>
      execFile(
        'openssl',
        [
          'ocsp',
          '-issuer',
          'ca.pem',
          '-CAfile',
          'ca.pem',
          '-cert',
          leaf,
          '-url',
          `${harness.instance.url}/pki/owners/${owner.tenant.id}/ocsp`,
        ],
        { cwd: dir, encoding: 'utf8' },
        (_err, stdout) => resolve(stdout),
      ),
    );

  it('renews twice with new keys; each renewal verifies against the owner CA and supersedes its predecessor', async () => {
    const firstKey = readFileSync(join(folder, 'operational.key'), 'utf8');
    const first = await renew();
    expect(first.io.err).toBe('');
    expect(first.code).toBe(0);
    const result = JSON.parse(first.io.out) as { serialNumber: string; previousSerialNumber: string };
    expect(readFileSync(join(folder, 'operational.key'), 'utf8')).not.toBe(firstKey);
    expect(statSync(join(folder, 'operational.key')).mode & 0o777).toBe(0o600);
    expect(openssl(['verify', '-CAfile', 'ca.pem', join(folder, 'operational.crt')]).stdout.trim()).toBe(
      `${join(folder, 'operational.crt')}: OK`,
    );
    // The key the device now holds is the one in its new certificate.
    const keyPub = openssl(['pkey', '-in', join(folder, 'operational.key'), '-pubout']).stdout;
    const certPub = openssl(['x509', '-in', join(folder, 'operational.crt'), '-noout', '-pubkey']).stdout;
    expect(keyPub).toBe(certPub);
    const previous = await ocsp(join(folder, 'operational.previous.crt'));
    expect(previous).toContain('revoked');
    expect(previous).toContain('Reason: superseded');
    expect(await ocsp(join(folder, 'operational.crt'))).toContain(': good');

    const second = await renew();
    expect(second.code, second.io.err).toBe(0);
    const rows = await harness.dataSource
      .getRepository(IssuedCertificateEntity)
      .find({ where: { deviceId: device.deviceId }, order: { issuedAt: 'ASC' } });
    expect(rows).toHaveLength(3);
    expect(rows[1]!.replacesCertificateId).toBe(rows[0]!.id);
    expect(rows[2]!.replacesCertificateId).toBe(rows[1]!.id);
    expect(rows.map((row) => row.revocationReason)).toEqual(['superseded', 'superseded', null]);
    expect(rows[1]!.serialNumber).toBe(result.serialNumber);
    expect(rows[0]!.serialNumber).toBe(result.previousSerialNumber);
  });

  it('a revoked certificate cannot renew: the simulator says why and leaves its files alone', async () => {
    const before = readFileSync(join(folder, 'operational.crt'), 'utf8');
    await harness.dataSource.transaction((manager) =>
      harness.instance.app.get(CertificateRevocations).revoke(manager, {
        ownerTenantId: owner.tenant.id,
        target: { deviceId: device.deviceId },
        reason: 'keyCompromise',
        actor: 'user:test',
      }),
    );
    const refused = await renew();
    expect(refused.code).toBe(1);
    expect(refused.io.err).toContain('simplereenroll refused (403)');
    expect(refused.io.err).toContain('keyCompromise');
    expect(readFileSync(join(folder, 'operational.crt'), 'utf8')).toBe(before);
  });
});
