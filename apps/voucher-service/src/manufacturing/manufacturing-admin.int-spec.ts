import { X509Certificate } from 'node:crypto';
import { type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditEventEntity,
  AuditLog,
  createTestDatabase,
  ManufacturerPkiEntity,
  openDataSource,
  OwnerKeyEntity,
  SealedKeyEntity,
  TenantEntity,
  type TestDatabase,
} from '@ztp/persistence';
import { pemToDer, validateChain } from '@ztp/pki';
import { ManufacturingError } from './manufacturing-error';
import { ManufacturingHarness } from './manufacturing.testing';

let database: TestDatabase;
let dataSource: DataSource;
let harness: ManufacturingHarness;

beforeAll(async () => {
  database = await createTestDatabase();
  dataSource = await openDataSource({ url: database.url });
  harness = new ManufacturingHarness(dataSource);
});

afterAll(async () => {
  await dataSource?.destroy();
  await database?.drop();
});

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ManufacturingError);
  expect((err as ManufacturingError).code).toBe(code);
}

const auditTypes = async (tenantId: string) =>
  (await dataSource.getRepository(AuditEventEntity).find({ where: { tenantId }, order: { seq: 'ASC' } })).map(
    (event) => event.eventType,
  );

describe('InitializeManufacturerPki', () => {
  it('creates root and intermediate CAs and the voucher key in custody, once, with an audit event', async () => {
    const tenant = await harness.newManufacturer('pki-once');
    const view = await harness.initializePki.execute({
      tenantId: tenant.id,
      actor: 'api-key:1',
      caKeySpec: 'P-256',
      voucherKeySpec: 'RSA-2048',
      manufacturerKeyEncoding: 'cose-key',
    });
    const root = new X509Certificate(view.rootCaCertificate);
    const intermediate = new X509Certificate(view.intermediateCaCertificate);
    expect(root.subject).toContain('O=pki-once Inc.');
    expect(intermediate.ca).toBe(true);
    validateChain([pemToDer(view.intermediateCaCertificate)], [pemToDer(view.rootCaCertificate)], {
      at: harness.clock.now(),
    });
    expect(view.voucherKey.spec).toBe('RSA-2048');
    expect(view.manufacturerKeyEncoding).toBe('cose-key');

    const pki = await dataSource
      .getRepository(ManufacturerPkiEntity)
      .findOneByOrFail({ tenantId: tenant.id });
    const ownerKey = await dataSource.getRepository(OwnerKeyEntity).findOneByOrFail({ id: pki.voucherKeyId });
    for (const keyId of [pki.rootCaKeyId, pki.intermediateCaKeyId, ownerKey.custodyKeyId])
      expect(await dataSource.getRepository(SealedKeyEntity).existsBy({ keyId })).toBe(true);
    expect(await auditTypes(tenant.id)).toEqual(['manufacturer.pki-initialized']);

    const sealedBefore = await dataSource.getRepository(SealedKeyEntity).count();
    await rejectsWith(harness.initializePki.execute({ tenantId: tenant.id, actor: 'x' }), 'pki-exists');
    expect(await dataSource.getRepository(SealedKeyEntity).count()).toBe(sealedBefore);
  });

  it('lets two concurrent initialisations end with one PKI and destroys the loser’s keys', async () => {
    const tenant = await harness.newManufacturer('pki-race');
    const sealedBefore = await dataSource.getRepository(SealedKeyEntity).count();
    const results = await Promise.allSettled([
      harness.initializePki.execute({ tenantId: tenant.id, actor: 'a' }),
      harness.initializePki.execute({ tenantId: tenant.id, actor: 'b' }),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const failure = results.find((result) => result.status === 'rejected') as
      PromiseRejectedResult | undefined;
    expect((failure!.reason as ManufacturingError).code).toBe('pki-exists');
    expect(await dataSource.getRepository(SealedKeyEntity).count()).toBe(sealedBefore + 3);
    expect(await auditTypes(tenant.id)).toEqual(['manufacturer.pki-initialized']);
  });

  it('can take an existing owner key of the tenant as voucher key, and refuses a stranger’s', async () => {
    const tenant = await harness.newManufacturer('pki-existing-key');
    const other = await harness.newManufacturer('pki-other');
    const otherView = await harness.initializePki.execute({ tenantId: other.id, actor: 'x' });
    await rejectsWith(
      harness.initializePki.execute({
        tenantId: tenant.id,
        actor: 'x',
        voucherKeyId: otherView.voucherKey.id,
      }),
      'invalid-request',
    );
    const info = await harness.custody.generateKey({
      keyId: `own-${tenant.id}`,
      spec: 'P-384',
      purpose: 'owner',
    });
    const own = await dataSource.getRepository(OwnerKeyEntity).save({
      tenantId: tenant.id,
      name: 'existing',
      spec: 'P-384',
      custodyKeyId: info.keyId,
      publicKeySpki: Buffer.from(info.publicKeySpki),
      publicKeySha256: 'f'.repeat(64),
      retiredAt: null,
    });
    const view = await harness.initializePki.execute({
      tenantId: tenant.id,
      actor: 'x',
      voucherKeyId: own.id,
    });
    expect(view.voucherKey).toMatchObject({ id: own.id, spec: 'P-384' });
  });

  it('refuses unknown tenants, non-manufacturers and bad parameters', async () => {
    const owner = await dataSource
      .getRepository(TenantEntity)
      .save({ kind: 'owner', name: 'An owner', slug: 'pki-owner', settings: {} });
    await rejectsWith(
      harness.initializePki.execute({ tenantId: owner.id, actor: 'x' }),
      'not-a-manufacturer',
    );
    await rejectsWith(harness.initializePki.execute({ tenantId: 'nope', actor: 'x' }), 'tenant-not-found');
    await rejectsWith(
      harness.initializePki.execute({ tenantId: '00000000-0000-4000-8000-000000000000', actor: 'x' }),
      'tenant-not-found',
    );
    const tenant = await harness.newManufacturer('pki-bad-params');
    await rejectsWith(
      harness.initializePki.execute({ tenantId: tenant.id, actor: 'x', caKeySpec: 'P-521' as never }),
      'invalid-request',
    );
    await rejectsWith(
      harness.initializePki.execute({ tenantId: tenant.id, actor: 'x', deviceCertValidityDays: 0 }),
      'invalid-request',
    );
    await rejectsWith(
      harness.initializePki.execute({
        tenantId: tenant.id,
        actor: 'x',
        manufacturerKeyEncoding: 'pem' as never,
      }),
      'invalid-request',
    );
  });
});

describe('stations and rendezvous directives', () => {
  it('creates stations with at least one credential, unique names, clean CIDRs and certificate fingerprints', async () => {
    const tenant = await harness.newManufacturer('stations');
    const created = await harness.createStation.execute({
      tenantId: tenant.id,
      actor: 'x',
      name: 'line 1',
      productionLine: 'L1',
      apiKey: true,
      clientCertificate: 'AB:'.repeat(31) + 'AB',
      allowedCidrs: ['10.1.0.0/16', '2001:db8::/32', '192.0.2.9'],
    });
    expect(created.apiKey).toMatch(/^ztpst_/);
    expect(created.station).toMatchObject({
      productionLine: 'L1',
      clientCertSha256: 'ab'.repeat(32),
      allowedCidrs: ['10.1.0.0/16', '2001:db8::/32', '192.0.2.9/32'],
      revokedAt: null,
    });
    expect(JSON.stringify(created.station)).not.toContain(created.apiKey);

    const create = (input: Record<string, unknown>) =>
      harness.createStation.execute({ tenantId: tenant.id, actor: 'x', name: 'n', ...input });
    await rejectsWith(create({}), 'invalid-request');
    await rejectsWith(create({ allowedCidrs: ['10.1.2.3/8'] }), 'invalid-request');
    await rejectsWith(create({ allowedCidrs: ['10.0.0.0/33'] }), 'invalid-request');
    await rejectsWith(create({ allowedCidrs: ['example.com'] }), 'invalid-request');
    await rejectsWith(create({ clientCertificate: 'not a certificate' }), 'invalid-request');
    await rejectsWith(create({ name: 'a\u0007b', apiKey: true }), 'invalid-request');
    await rejectsWith(create({ name: 'line 1', apiKey: true }), 'station-name-taken');
  });

  it('revokes a station once (idempotent), with one audit event', async () => {
    const tenant = await harness.newManufacturer('revoke');
    const { station } = await harness.createStation.execute({
      tenantId: tenant.id,
      actor: 'x',
      name: 's',
      allowedCidrs: ['10.0.0.0/8'],
    });
    const revoked = await harness.revokeStation.execute({
      tenantId: tenant.id,
      stationId: station.id,
      actor: 'x',
    });
    expect(revoked.revokedAt).not.toBeNull();
    await harness.revokeStation.execute({ tenantId: tenant.id, stationId: station.id, actor: 'x' });
    expect(await auditTypes(tenant.id)).toEqual([
      'manufacturing.station-created',
      'manufacturing.station-revoked',
    ]);
    const stranger = await harness.newManufacturer('revoke-stranger');
    await rejectsWith(
      harness.revokeStation.execute({ tenantId: stranger.id, stationId: station.id, actor: 'x' }),
      'station-not-found',
    );
  });

  it('replaces only the rendezvous directives in the tenant settings, with an audit event', async () => {
    const tenant = await harness.newManufacturer('rendezvous');
    await dataSource
      .getRepository(TenantEntity)
      .update({ id: tenant.id }, { settings: { credentialReuse: true } });
    await harness.setRendezvous.execute({
      tenantId: tenant.id,
      actor: 'x',
      directives: [{ dns: 'rv.example.com', port: 443, protocol: 'https' }],
    });
    const settings = (await dataSource.getRepository(TenantEntity).findOneByOrFail({ id: tenant.id }))
      .settings;
    expect(settings).toEqual({
      credentialReuse: true,
      rendezvous: [{ dns: 'rv.example.com', port: 443, protocol: 'https' }],
    });
    await rejectsWith(
      harness.setRendezvous.execute({ tenantId: tenant.id, actor: 'x', directives: [] }),
      'invalid-request',
    );
    expect(await auditTypes(tenant.id)).toEqual(['manufacturer.rendezvous-updated']);
    expect(await dataSource.transaction((m) => new AuditLog().verifyChain(m, tenant.id))).toMatchObject({
      valid: true,
    });
  });
});
