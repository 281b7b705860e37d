import { createHash, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import {
  AuditEventEntity,
  DeviceEntity,
  EstEnrollmentTokenEntity,
  IssuedCertificateEntity,
  normalizeSerial,
  OwnerCaEntity,
  WebhookDeliveryEntity,
} from '@ztp/persistence';
import { CertificateIssuer, createCsr, type KeyCustody, parseCsr } from '@ztp/pki';
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
let other: LedgerTenant;
let dataSource: DataSource;
let device: DeviceEntity;

beforeAll(async () => {
  harness = await Harness.start();
  owner = await harness.tenant('owner', 'cert-owner');
  other = await harness.tenant('owner', 'cert-other');
  dataSource = harness.app.get(DataSource);
  await harness.call(owner.key, 'POST', '/v1/onboarding/ca', {}, 200);
  const guid = randomBytes(16).toString('hex');
  device = await dataSource.getRepository(DeviceEntity).save({
    manufacturerTenantId: null,
    serialNumber: 'SN-REVOKE',
    deviceInfo: 'test',
    guid,
    originalGuid: guid,
    lifecycle: 'owned',
  });
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

/** An operational certificate from the owner CA, recorded as owner onboarding records it. */
async function issue(
  target: DeviceEntity = device,
  replacesCertificateId: string | null = null,
): Promise<string> {
  const ca = await dataSource.getRepository(OwnerCaEntity).findOneByOrFail({ ownerTenantId: owner.id });
  const issuer = new CertificateIssuer({
    custody: harness.app.get<KeyCustody>(KEY_CUSTODY),
    now: () => new Date(),
    randomBytes: (n) => randomBytes(n),
  });
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const csr = await parseCsr(
    await createCsr({ signer: createSoftwareSigner(key), subject: { commonName: 'x' } }),
  );
  const der = await issuer.issueFromCsr(
    { keyId: ca.custodyKeyId, certificate: new Uint8Array(ca.certificate) },
    csr,
    { kind: 'operational-client', subject: { commonName: target.guid }, validityDays: 30 },
  );
  const certificate = new X509Certificate(der);
  await dataSource.getRepository(IssuedCertificateEntity).save({
    ownerTenantId: owner.id,
    deviceId: target.id,
    guid: target.guid,
    serialNumber: normalizeSerial(certificate.serialNumber),
    subject: certificate.subject,
    fingerprint: certificate.fingerprint256,
    certificate: Buffer.from(der),
    notAfter: new Date(certificate.validTo),
    kind: replacesCertificateId ? 'simplereenroll' : 'simpleenroll',
    issuedAt: new Date(),
    replacesCertificateId,
  });
  return normalizeSerial(certificate.serialNumber);
}

async function post(key: string, path: string, body: unknown) {
  const response = await fetch(`${harness.url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: (await response.json()) as { type?: string; revoked?: { serialNumber: string }[] },
  };
}

describe('revocation through the owner API', () => {
  it('revokes by serial with an RFC 5280 reason: audit event and certificate.revoked webhook in one commit', async () => {
    await harness.call(owner.key, 'POST', '/v1/webhooks', {
      url: 'https://hooks.example.com/ztp',
      eventTypes: ['certificate.revoked'],
    });
    const serial = await issue();
    // Colons and upper case, as openssl prints serials.
    const pasted = serial.toUpperCase().match(/../g)!.join(':');
    const revoked = await post(owner.key, `/v1/onboarding/certificates/${pasted}/revoke`, {
      reason: 'keyCompromise',
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({
      serialNumber: serial,
      reason: 'keyCompromise',
      deviceId: device.id,
    });

    const row = await dataSource
      .getRepository(IssuedCertificateEntity)
      .findOneByOrFail({ serialNumber: serial });
    expect(row.revocationReason).toBe('keyCompromise');
    const audit = await dataSource
      .getRepository(AuditEventEntity)
      .findBy({ tenantId: owner.id, eventType: 'certificate.revoked' });
    expect(audit.map((event) => event.data['serialNumber'])).toEqual([serial]);
    const deliveries = await dataSource
      .getRepository(WebhookDeliveryEntity)
      .findBy({ tenantId: owner.id, eventType: 'certificate.revoked' });
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.payload).toMatchObject({
      type: 'certificate.revoked',
      subject: `device:${device.guid}`,
      data: { serialNumber: serial, reason: 'keyCompromise' },
    });

    const again = await post(owner.key, `/v1/onboarding/certificates/${serial}/revoke`, {
      reason: 'superseded',
    });
    expect(again.status).toBe(409);
    expect(again.type).toContain('application/problem+json');
    expect(again.body.type).toBe('https://ztp.dev/problems/already-revoked');
    expect(
      (await dataSource.getRepository(IssuedCertificateEntity).findOneByOrFail({ serialNumber: serial }))
        .revocationReason,
    ).toBe('keyCompromise');
  });

  it('revokes every remaining certificate of a device; then none is left', async () => {
    const a = await issue();
    const b = await issue();
    const revoked = await post(owner.key, `/v1/onboarding/devices/${device.guid}/certificates/revoke`, {
      reason: 'cessationOfOperation',
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked!.map((c) => c.serialNumber).sort()).toEqual([a, b].sort());
    const again = await post(owner.key, `/v1/onboarding/devices/${device.id}/certificates/revoke`, {});
    expect(again).toMatchObject({ status: 200, body: { revoked: [] } });
  });

  it('refuses unknown reasons, foreign and malformed serials, and other owners', async () => {
    const serial = await issue();
    const badReason = await post(owner.key, `/v1/onboarding/certificates/${serial}/revoke`, {
      reason: 'removeFromCRL',
    });
    expect(badReason.status).toBe(400);
    expect(badReason.type).toContain('application/problem+json');
    expect((await post(owner.key, '/v1/onboarding/certificates/zz-not-hex/revoke', {})).status).toBe(404);
    expect((await post(other.key, `/v1/onboarding/certificates/${serial}/revoke`, {})).status).toBe(404);
    expect(
      (await post(other.key, `/v1/onboarding/devices/${device.guid}/certificates/revoke`, {})).status,
    ).toBe(404);
    const row = await dataSource
      .getRepository(IssuedCertificateEntity)
      .findOneByOrFail({ serialNumber: serial });
    expect(row.revokedAt).toBeNull();
  });
});

describe('EST enrolment tokens', () => {
  it('issues a one-time token for an own device: secret once, SHA-256 stored, audited; others get 404', async () => {
    const created = await harness.call<{ id: string; token: string; deviceId: string; expiresAt: string }>(
      owner.key,
      'POST',
      `/v1/onboarding/devices/${device.guid}/est-enrollment-tokens`,
      { expiresInSeconds: 600 },
    );
    expect(created.token).toMatch(/^est_[A-Za-z0-9_-]{43}$/);
    expect(created.deviceId).toBe(device.id);
    expect(new Date(created.expiresAt).getTime() - Date.now()).toBeGreaterThan(590_000);
    const row = await dataSource.getRepository(EstEnrollmentTokenEntity).findOneByOrFail({ id: created.id });
    expect(row.tokenSha256).toBe(createHash('sha256').update(created.token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(created.token);
    const audit = await dataSource
      .getRepository(AuditEventEntity)
      .findBy({ tenantId: owner.id, eventType: 'certificate.enrollment-token-created' });
    expect(audit.map((event) => event.data['tokenId'])).toEqual([created.id]);
    expect(
      (await post(other.key, `/v1/onboarding/devices/${device.guid}/est-enrollment-tokens`, {})).status,
    ).toBe(404);
    expect(
      (
        await post(owner.key, `/v1/onboarding/devices/${device.guid}/est-enrollment-tokens`, {
          expiresInSeconds: 1,
        })
      ).status,
    ).toBe(400);
  });
});

describe('device status', () => {
  it('shows the current certificate with its predecessors and the state of each', async () => {
    const guid = randomBytes(16).toString('hex');
    const renewing = await dataSource.getRepository(DeviceEntity).save({
      manufacturerTenantId: null,
      serialNumber: 'SN-RENEW',
      deviceInfo: 'test',
      guid,
      originalGuid: guid,
      lifecycle: 'owned',
    });
    const rows = dataSource.getRepository(IssuedCertificateEntity);
    const first = await issue(renewing);
    const firstId = (await rows.findOneByOrFail({ serialNumber: first })).id;
    await post(owner.key, `/v1/onboarding/certificates/${first}/revoke`, { reason: 'superseded' });
    const second = await issue(renewing, firstId);
    const secondId = (await rows.findOneByOrFail({ serialNumber: second })).id;
    await post(owner.key, `/v1/onboarding/certificates/${second}/revoke`, { reason: 'superseded' });
    const third = await issue(renewing, secondId);

    const view = await harness.call<{
      certificates: { serialNumber: string; state: string; revocationReason: string | null }[];
      currentCertificate: {
        serialNumber: string;
        state: string;
        predecessors: { serialNumber: string; state: string }[];
      };
    }>(owner.key, 'GET', `/v1/onboarding/devices/${guid}`);
    expect(view.certificates.map((c) => [c.serialNumber, c.state])).toEqual([
      [first, 'superseded'],
      [second, 'superseded'],
      [third, 'current'],
    ]);
    expect(view.currentCertificate).toMatchObject({
      serialNumber: third,
      state: 'current',
      predecessors: [
        { serialNumber: second, state: 'superseded' },
        { serialNumber: first, state: 'superseded' },
      ],
    });

    await post(owner.key, `/v1/onboarding/devices/${guid}/certificates/revoke`, { reason: 'keyCompromise' });
    const after = await harness.call<{ certificates: { state: string }[]; currentCertificate: unknown }>(
      owner.key,
      'GET',
      `/v1/onboarding/devices/${guid}`,
    );
    expect(after.certificates.map((c) => c.state)).toEqual(['superseded', 'superseded', 'revoked']);
    expect(after.currentCertificate).toBeNull();
  });
});
