import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { ApiKeyService, type TenantRole } from '@ztp/auth';
import { loadConfig } from '@ztp/config';
import {
  AuditEventEntity,
  createTestDatabase,
  OwnerCaEntity,
  openDataSource,
  SztpDeviceEntity,
  SztpVoucherEntity,
  TenantEntity,
  type TestDatabase,
  testCertificate,
  type TestCertificate,
} from '@ztp/persistence';
import {
  createApp,
  createRootLogger,
  NestLoggerAdapter,
  type Runtime,
  startRuntime,
  systemClock,
} from '@ztp/platform';
import { sztp } from '@ztp/protocol';
import request from 'supertest';
import { type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { VOUCHER_SERVICE_APP } from '../voucher-service.app';

const FIXTURES = new URL('../../../../test/fixtures/sztp/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');

let database: TestDatabase;
let dataSource: DataSource;
let runtime: Runtime;
let app: NestExpressApplication;
const dir = mkdtempSync(join(tmpdir(), 'ztp-sztp-ledger-'));
const keys: Record<'maker' | 'owner' | 'owner2' | 'reseller', string> = {
  maker: '',
  owner: '',
  owner2: '',
  reseller: '',
};
const tenants: Record<keyof typeof keys, TenantEntity> = {} as never;
let deviceCa: TestCertificate;

const ALL_ROLES: TenantRole[] = ['tenant:admin'];

beforeAll(async () => {
  database = await createTestDatabase();
  dataSource = await openDataSource({ url: database.url });
  const config = loadConfig({
    DATABASE_URL: database.url,
    KEY_CUSTODY_MASTER_KEY: randomBytes(32).toString('base64'),
    DATA_DIR: dir,
    LOG_LEVEL: 'silent',
  });
  const logger = createRootLogger(config, 'test');
  runtime = await startRuntime(config, logger, { migrate: false });
  app = await createApp(VOUCHER_SERVICE_APP, runtime, new NestLoggerAdapter(logger));
  const apiKeys = app.get(ApiKeyService, { strict: false });
  for (const [slug, kind] of [
    ['maker', 'manufacturer'],
    ['owner', 'owner'],
    ['owner2', 'owner'],
    ['reseller', 'reseller'],
  ] as const) {
    tenants[slug] = await dataSource
      .getRepository(TenantEntity)
      .save({ kind, name: `${slug} inc`, slug, settings: {} });
    keys[slug] = (
      await apiKeys.create({ tenantId: tenants[slug].id, name: 'test', roles: ALL_ROLES, createdBy: 'test' })
    ).key;
  }
  deviceCa = await testCertificate({ subject: 'CN=maker Device CA', ca: true });
});

afterAll(async () => {
  await app?.close();
  await runtime?.close();
  await dataSource?.destroy();
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const api = (who: keyof typeof keys) => ({
  get: (path: string) => request(app.getHttpServer()).get(path).set('Authorization', `Bearer ${keys[who]}`),
  post: (path: string, body: unknown) =>
    request(app.getHttpServer())
      .post(path)
      .set('Authorization', `Bearer ${keys[who]}`)
      .send(body as object),
  put: (path: string, body: unknown) =>
    request(app.getHttpServer())
      .put(path)
      .set('Authorization', `Bearer ${keys[who]}`)
      .send(body as object),
});

async function auditTypes(tenantId: string): Promise<string[]> {
  const rows = await dataSource
    .getRepository(AuditEventEntity)
    .find({ where: { tenantId }, order: { seq: 'ASC' } });
  return rows.map((row) => row.eventType);
}

describe('SZTP ledger API (voucher service)', () => {
  let deviceTypeId: string;
  let masa: { id: string; certificate: string; trustAnchors: string[] };
  let ownerCa: Uint8Array;
  let voucherId: string;

  it('sets up a manufacturer: device type, device with activation code, generated MASA', async () => {
    const type = await api('maker').post('/v1/sztp/device-types', {
      name: 'router',
      trustAnchors: deviceCa.pem,
      serialNumber: { source: 'subject-serial-number', pattern: 'SN:(\\S+)' },
    });
    expect(type.status).toBe(201);
    expect(type.body).toMatchObject({
      outputProfile: 'signed',
      activationCodeFallback: false,
      serialNumber: { pattern: 'SN:(\\S+)' },
    });
    deviceTypeId = type.body.id;
    const device = await api('maker').post('/v1/sztp/devices', {
      deviceTypeId,
      serialNumber: 'SN-100',
      activationCode: 'label-code-1',
    });
    expect(device.status).toBe(201);
    expect(device.body).toMatchObject({
      serialNumber: 'SN-100',
      hasActivationCode: true,
      bootstrapState: 'pending',
    });
    const again = await api('maker').post('/v1/sztp/devices', { deviceTypeId, serialNumber: 'SN-100' });
    expect(again.status).toBe(409);

    const created = await api('maker').post('/v1/sztp/masas', { kind: 'generate', name: 'maker-masa' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      issuesVouchers: true,
      trustAnchors: [expect.stringContaining('BEGIN CERTIFICATE')],
    });
    masa = created.body;
    expect(await auditTypes(tenants.maker.id)).toEqual([
      'sztp.device-type.created',
      'sztp.device.registered',
      'sztp.masa.created',
    ]);
  });

  it('sets up owners: owner identity on the shared owner CA, bootstrap servers', async () => {
    for (const who of ['owner', 'owner2'] as const) {
      const owner = await api(who).post('/v1/sztp/owner', {});
      expect(owner.status).toBe(201);
      const ca = await dataSource
        .getRepository(OwnerCaEntity)
        .findOneByOrFail({ ownerTenantId: tenants[who].id });
      expect(sztp.certificatesFromPem(owner.body.pinnedDomainCertificate)[0]).toEqual(
        new Uint8Array(ca.certificate),
      );
      const path = sztp.verifyOwnerCertificate(
        sztp.encodeOwnerCertificate(sztp.certificatesFromPem(owner.body.ownerCertificate)[0]!),
        new Uint8Array(ca.certificate),
      );
      expect(path.path).toHaveLength(2);
      if (who === 'owner') ownerCa = new Uint8Array(ca.certificate);
    }
    expect((await api('owner').post('/v1/sztp/owner', {})).status).toBe(409);
    expect((await api('maker').post('/v1/sztp/owner', {})).status).toBe(409);
    const servers = await api('owner').put('/v1/sztp/owner/bootstrap-servers', {
      bootstrapServers: [{ address: 'boot.owner.example', port: 8443, trustAnchors: deviceCa.pem }],
    });
    expect(servers.status).toBe(200);
    expect(servers.body.bootstrapServers).toEqual([
      {
        address: 'boot.owner.example',
        port: 8443,
        trustAnchors: [expect.stringContaining('BEGIN CERTIFICATE')],
      },
    ]);
  });

  it('issues a voucher as the MASA pinning the owner CA, audited for both tenants', async () => {
    const issued = await api('maker').post('/v1/sztp/vouchers', {
      masaId: masa.id,
      deviceTypeId,
      serialNumber: 'SN-100',
      ownerTenant: 'owner',
    });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({
      serialNumber: 'SN-100',
      holderTenantId: tenants.owner.id,
      source: 'issued',
      status: 'active',
      pinsHolder: true,
      contentType: 'anima-json',
    });
    voucherId = issued.body.id;
    const verified = sztp.verifyVoucher(Buffer.from(issued.body.cms, 'base64'), {
      trust: { trustAnchors: masa.trustAnchors.map((pem) => sztp.certificatesFromPem(pem)[0]!) },
      serialNumber: 'SN-100',
      now: new Date(),
    });
    expect(verified.voucher.pinnedDomainCert).toEqual(ownerCa);
    expect(verified.voucher.assertion).toBe('verified');
    expect((await auditTypes(tenants.maker.id)).at(-1)).toBe('sztp.voucher.issued');
    expect((await auditTypes(tenants.owner.id)).at(-1)).toBe('sztp.voucher.received');

    const held = await api('owner').get('/v1/sztp/vouchers?status=active');
    expect(held.body.map((v: { id: string }) => v.id)).toEqual([voucherId]);
    const cms = await api('owner')
      .get(`/v1/sztp/vouchers/${voucherId}/cms`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(cms.headers['content-type']).toBe('application/voucher-cms+json');
    expect((cms.body as Buffer).toString('base64')).toBe(issued.body.cms);
    expect((await api('maker').get(`/v1/sztp/vouchers/${voucherId}`)).status).toBe(404);

    const twice = await api('maker').post('/v1/sztp/vouchers', {
      masaId: masa.id,
      deviceTypeId,
      serialNumber: 'SN-100',
      ownerTenant: 'owner',
    });
    expect(twice.status).toBe(409);
    const nobody = await api('maker').post('/v1/sztp/vouchers', {
      masaId: masa.id,
      deviceTypeId,
      serialNumber: 'SN-101',
      ownerTenant: 'reseller',
    });
    expect(nobody.status).toBe(409);
    expect(nobody.body.type).toBe('https://ztp.dev/problems/sztp-owner-not-set-up');

    // RFC 8366: expires-on may not be after the pinned-domain-cert's notAfter.
    const pinnedNotAfter = sztp.parseCertificate(ownerCa).notAfter;
    const tooLong = await api('maker').post('/v1/sztp/vouchers', {
      masaId: masa.id,
      deviceTypeId,
      serialNumber: 'SN-102',
      ownerTenant: 'owner',
      expiresOn: new Date(pinnedNotAfter.getTime() + 86_400_000).toISOString(),
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.detail).toMatch(/after the pinned owner CA certificate's notAfter/);
  });

  it('lets the owner choose profiles for its devices and read their state', async () => {
    const profile = await api('owner').post('/v1/sztp/onboarding-profiles', {
      name: 'core',
      isDefault: true,
      bootImage: { downloadUris: ['https://img.example/os.bin'], sha256: 'AB'.repeat(32) },
      configuration: Buffer.from('{"a":1}').toString('base64'),
      configurationHandling: 'merge',
      issueLdevid: true,
    });
    expect(profile.status).toBe(201);
    expect(profile.body.bootImage.sha256).toBe('ab'.repeat(32));
    const notJson = await api('owner').post('/v1/sztp/onboarding-profiles', {
      name: 'bad',
      configuration: Buffer.from('<config/>').toString('base64'),
      configurationHandling: 'merge',
      issueLdevid: true,
    });
    expect(notJson.status).toBe(400);
    const devices = await api('owner').get('/v1/sztp/devices');
    expect(devices.body.map((d: { serialNumber: string }) => d.serialNumber)).toEqual(['SN-100']);
    const assigned = await api('owner').put(`/v1/sztp/devices/${devices.body[0].id}/onboarding-profile`, {
      onboardingProfileId: profile.body.id,
    });
    expect(assigned.body.onboardingProfileId).toBe(profile.body.id);
    expect((await api('owner2').get(`/v1/sztp/devices/${devices.body[0].id}/progress`)).status).toBe(404);
    expect((await api('owner').get(`/v1/sztp/devices/${devices.body[0].id}/progress`)).body).toEqual([]);
  });

  it('transfers by re-issuing to the recipient owner CA; the old voucher is superseded; audited both sides', async () => {
    const moved = await api('owner').post(`/v1/sztp/vouchers/${voucherId}/transfer`, {
      toTenant: tenants.owner2.id,
    });
    expect(moved.status).toBe(201);
    expect(moved.body).toMatchObject({
      holderTenantId: tenants.owner2.id,
      source: 'reissued',
      replacesVoucherId: voucherId,
      status: 'active',
    });
    const owner2Ca = await dataSource
      .getRepository(OwnerCaEntity)
      .findOneByOrFail({ ownerTenantId: tenants.owner2.id });
    const verified = sztp.verifyVoucher(Buffer.from(moved.body.cms, 'base64'), {
      trust: { trustAnchors: masa.trustAnchors.map((pem) => sztp.certificatesFromPem(pem)[0]!) },
      serialNumber: 'SN-100',
    });
    expect(verified.voucher.pinnedDomainCert).toEqual(new Uint8Array(owner2Ca.certificate));
    const old = await dataSource.getRepository(SztpVoucherEntity).findOneByOrFail({ id: voucherId });
    expect(old.status).toBe('superseded');
    const device = await dataSource
      .getRepository(SztpDeviceEntity)
      .findOneByOrFail({ id: moved.body.deviceId });
    expect(device.onboardingProfileId).toBeNull();
    expect((await auditTypes(tenants.owner.id)).at(-1)).toBe('sztp.voucher.transferred-out');
    expect((await auditTypes(tenants.owner2.id)).at(-1)).toBe('sztp.voucher.transferred-in');
    const again = await api('owner').post(`/v1/sztp/vouchers/${voucherId}/transfer`, { toTenant: 'owner2' });
    expect(again.status).toBe(409);
  });

  describe('importing vouchers made elsewhere (test/fixtures/sztp)', () => {
    it('imports the anima-wg voucher (id-data, nonce-bound) verified against its MASA certificate', async () => {
      const external = await api('maker').post('/v1/sztp/masas', {
        kind: 'external',
        name: 'highway',
        certificate: fixture('anima-voucher/masa-00-D0-E5-F2-00-02.crt'),
      });
      expect(external.body.issuesVouchers).toBe(false);
      const voucher = fixture('anima-voucher/voucher_00-D0-E5-F2-00-02.b64').replace(/\s+/g, '');
      const body = { masaId: external.body.id, deviceTypeId, voucher };
      // The highway MASA certificate is valid 2021-04-13 .. 2023-04-13: today it is expired.
      const today = await api('maker').post('/v1/sztp/vouchers/import', body);
      expect(today.status).toBe(422);
      expect(today.body.detail).toMatch(/^certificate-expired/);
      const clock = vi.spyOn(systemClock, 'now').mockReturnValue(new Date('2022-07-11T00:00:00Z'));
      try {
        const imported = await api('maker').post('/v1/sztp/vouchers/import', body);
        expect(imported.status).toBe(201);
        expect(imported.body).toMatchObject({
          serialNumber: '00-D0-E5-F2-00-02',
          contentType: 'id-data',
          assertion: 'logged',
          nonceBound: true,
          source: 'imported',
          // It pins fountain-test.example.com, nobody here: held by the importer, unusable for onboarding.
          holderTenantId: tenants.maker.id,
          pinsHolder: false,
        });
        expect(imported.body.cms).toBe(voucher);
        const wrongMasa = await api('maker').post('/v1/sztp/vouchers/import', { ...body, masaId: masa.id });
        expect(wrongMasa.status).toBe(422);
        expect(wrongMasa.body.detail).toMatch(/^untrusted/);
      } finally {
        clock.mockRestore();
      }
      expect((await auditTypes(tenants.maker.id)).at(-1)).toBe('sztp.voucher.imported');
    });

    it('refuses the google/open-sztp voucher: it is signed by an embedded key, not by the trust anchor shipped with it', async () => {
      const voucher = fixture('open-sztp/12345-ownershipVoucher.base64').replace(/\s+/g, '');
      const trustAnchor = fixture('open-sztp/trustAnchorCertificate.pem');
      const anchored = await api('maker').post('/v1/sztp/masas', {
        kind: 'external',
        name: 'open-sztp',
        certificate: trustAnchor,
        trustAnchors: trustAnchor,
      });
      const pinned = await api('maker').post('/v1/sztp/masas', {
        kind: 'external',
        name: 'open-sztp-pinned',
        certificate: trustAnchor,
      });
      const viaAnchor = await api('maker').post('/v1/sztp/vouchers/import', {
        masaId: anchored.body.id,
        deviceTypeId,
        voucher,
        lenient: true,
      });
      expect(viaAnchor.status).toBe(422);
      expect(viaAnchor.body.detail).toMatch(/^untrusted/);
      const viaPin = await api('maker').post('/v1/sztp/vouchers/import', {
        masaId: pinned.body.id,
        deviceTypeId,
        voucher,
        lenient: true,
      });
      expect(viaPin.status).toBe(422);
      expect(viaPin.body.detail).toMatch(/^bad-signature/);
      expect(await dataSource.getRepository(SztpVoucherEntity).countBy({ serialNumber: '12345' })).toBe(0);
    });
  });

  it('refuses bad input with problems: PEM, unknown ids, missing credentials', async () => {
    const badPem = await api('maker').post('/v1/sztp/device-types', { name: 'x', trustAnchors: 'not a pem' });
    expect(badPem.status).toBe(400);
    const badPattern = await api('maker').post('/v1/sztp/device-types', {
      name: 'y',
      trustAnchors: deviceCa.pem,
      serialNumber: { source: 'common-name', pattern: '(' },
    });
    expect(badPattern.status).toBe(400);
    expect((await api('maker').get('/v1/sztp/masas/not-a-uuid')).status).toBe(404);
    expect((await api('owner').get(`/v1/sztp/masas/${masa.id}`)).status).toBe(404);
    expect((await request(app.getHttpServer()).get('/v1/sztp/vouchers')).status).toBe(401);
  });
});
