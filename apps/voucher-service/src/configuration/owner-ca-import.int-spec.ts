import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OwnerCaEntity } from '@ztp/persistence';
import { CertificateIssuer, createCsr, derToPem, type KeyCustody, parseCsr } from '@ztp/pki';
import { KEY_CUSTODY } from '@ztp/platform';
import { createSoftwareSigner } from '@ztp/protocol';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LedgerHarness,
  LedgerHarness as Harness,
  type LedgerTenant,
} from '../vouchers/ledger-harness.testing';

let harness: LedgerHarness;
let owner: LedgerTenant;
const dir = mkdtempSync(join(tmpdir(), 'owner-ca-import-'));
const file = (name: string) => join(dir, name);
const openssl = (args: string[]) => spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });

beforeAll(async () => {
  harness = await Harness.start();
  owner = await harness.tenant('owner', 'byo-ca-owner');
  // The owner's corporate root, outside this system.
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '30',
    '-subj',
    '/O=Acme/CN=Acme Corporate Root',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    'root.key',
    '-out',
    'root.pem',
  ]);
  writeFileSync(
    file('ca.ext'),
    'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
  );
}, 60_000);

afterAll(async () => {
  await harness?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(path: string, body: unknown) {
  const response = await fetch(`${harness.url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${owner.key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('bring your own issuing CA', () => {
  it('key in custody, CSR out, the certificate the corporate root signed in; issued certificates chain to that root', async () => {
    const requested = await post('/v1/onboarding/ca/csr', {
      commonName: 'Acme Device Issuing CA',
      organization: 'Acme',
    });
    expect(requested.status).toBe(200);
    writeFileSync(file('ca.csr'), String(requested.body['csrPem']));
    expect(
      openssl(['req', '-in', 'ca.csr', '-noout', '-verify']).stderr +
        openssl(['req', '-in', 'ca.csr', '-noout', '-verify']).stdout,
    ).toMatch(/verify OK/i);
    const signed = openssl([
      'x509',
      '-req',
      '-in',
      'ca.csr',
      '-CA',
      'root.pem',
      '-CAkey',
      'root.key',
      '-CAcreateserial',
      '-days',
      '20',
      '-extfile',
      'ca.ext',
      '-out',
      'ca.pem',
    ]);
    expect(signed.status, signed.stderr).toBe(0);
    const caPem = readFileSync(file('ca.pem'), 'utf8');
    const rootPem = readFileSync(file('root.pem'), 'utf8');

    // Refused: without the chain to the root, and the root itself (not the key of the CSR).
    expect((await post('/v1/onboarding/ca/import', { chainPem: caPem })).status).toBe(400);
    const wrongKey = await post('/v1/onboarding/ca/import', { chainPem: rootPem + rootPem });
    expect(wrongKey).toMatchObject({ status: 400, body: { type: 'https://ztp.dev/problems/wrong-key' } });

    const imported = await post('/v1/onboarding/ca/import', { chainPem: caPem + rootPem });
    expect(imported.status, JSON.stringify(imported.body)).toBe(200);
    expect(imported.body['subject']).toContain('Acme Device Issuing CA');
    expect(String(imported.body['chainPem'])).toContain('BEGIN CERTIFICATE');

    // What the owner CA now issues verifies against the corporate root (openssl, with the CA as intermediate).
    const dataSource = harness.app.get(DataSource);
    const ca = await dataSource.getRepository(OwnerCaEntity).findOneByOrFail({ ownerTenantId: owner.id });
    const issuer = new CertificateIssuer({
      custody: harness.app.get<KeyCustody>(KEY_CUSTODY),
      now: () => new Date(),
      randomBytes: (n) => randomBytes(n),
    });
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const leaf = await issuer.issueFromCsr(
      { keyId: ca.custodyKeyId, certificate: new Uint8Array(ca.certificate) },
      await parseCsr(await createCsr({ signer: createSoftwareSigner(key), subject: { commonName: 'd' } })),
      { kind: 'operational-client', subject: { commonName: 'device-1' }, validityDays: 5 },
    );
    writeFileSync(file('leaf.pem'), derToPem(leaf));
    expect(openssl(['verify', '-CAfile', 'root.pem', '-untrusted', 'ca.pem', 'leaf.pem']).stdout.trim()).toBe(
      'leaf.pem: OK',
    );

    expect(await post('/v1/onboarding/ca/csr', { commonName: 'again' })).toMatchObject({
      status: 409,
      body: { type: 'https://ztp.dev/problems/owner-ca-exists' },
    });
    expect((await post('/v1/onboarding/ca/import', { chainPem: caPem + rootPem })).status).toBe(409);
  });
});
