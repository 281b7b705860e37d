import { randomBytes } from 'node:crypto';
import { InMemorySealedKeyStore, SoftwareKeyCustody } from '@ztp/pki';
import { sztp } from '@ztp/protocol';
import { type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataSource } from '../data-source';
import { TenantEntity } from '../ledger';
import { createTestDatabase, type TestDatabase } from '../testing/create-test-database';
import { hashActivationCode } from './activation-code';
import { loadSztpDeviceContext } from './sztp-device-context';
import { SztpDeviceIdentifier, SztpIdentityError } from './sztp-device-identifier';
import { SztpDeviceTypeEntity } from './sztp-device-type.entity';
import { SztpDeviceEntity } from './sztp-device.entity';
import { SztpMasaEntity } from './sztp-masa.entity';
import { SztpOnboardingProfileEntity } from './sztp-onboarding-profile.entity';
import { SztpOwnerEntity } from './sztp-owner.entity';
import { SztpProgressEventEntity } from './sztp-progress-event.entity';
import { SztpProgressLog } from './sztp-progress-log';
import { SztpMasaVoucherIssuer, SztpMasaUnavailableError, SztpOwnerSigners } from './sztp-signers';
import { testCertificate, type TestCertificate } from './sztp-test-certificates.testing';
import { SztpVoucherEntity } from './sztp-voucher.entity';

const NOW = new Date('2025-06-01T00:00:00Z');
const b64 = (der: Uint8Array) => Buffer.from(der).toString('base64');

let database: TestDatabase;
let dataSource: DataSource;
let manufacturer: TenantEntity;
let owner: TenantEntity;
let deviceCa: TestCertificate;
let idevid: TestCertificate;
let signedType: SztpDeviceTypeEntity;
let labType: SztpDeviceTypeEntity;
let device: SztpDeviceEntity;
let labDevice: SztpDeviceEntity;

beforeAll(async () => {
  database = await createTestDatabase();
  dataSource = await openDataSource({ url: database.url });
  const tenants = dataSource.getRepository(TenantEntity);
  manufacturer = await tenants.save({ kind: 'manufacturer', name: 'Acme', slug: 'acme', settings: {} });
  owner = await tenants.save({ kind: 'owner', name: 'Owner', slug: 'owner', settings: {} });
  deviceCa = await testCertificate({ subject: 'CN=Acme Device CA', ca: true });
  idevid = await testCertificate({ subject: '2.5.4.5=PID:R1 SN:SN-1, CN=router', issuer: deviceCa });
  const types = dataSource.getRepository(SztpDeviceTypeEntity);
  signedType = await types.save({
    tenantId: manufacturer.id,
    name: 'router',
    trustAnchors: [b64(deviceCa.der)],
    serialNumberSource: 'subject-serial-number',
    serialNumberPattern: 'SN:(\\S+)',
    outputProfile: 'signed',
    activationCodeFallback: false,
  });
  labType = await types.save({
    tenantId: manufacturer.id,
    name: 'dpu',
    trustAnchors: [b64(deviceCa.der)],
    serialNumberSource: 'common-name',
    serialNumberPattern: null,
    outputProfile: 'lab',
    activationCodeFallback: true,
  });
  const devices = dataSource.getRepository(SztpDeviceEntity);
  device = await devices.save({
    deviceTypeId: signedType.id,
    serialNumber: 'SN-1',
    bootstrapState: 'pending',
  });
  labDevice = await devices.save({
    deviceTypeId: labType.id,
    serialNumber: 'LAB-7',
    bootstrapState: 'pending',
    activationCodeHash: await hashActivationCode('my-secret'),
  });
});

afterAll(async () => {
  await dataSource?.destroy();
  await database?.drop();
});

async function identityError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(SztpIdentityError);
    return (err as SztpIdentityError).code;
  }
  throw new Error('expected an identity error');
}

describe('SztpDeviceIdentifier', () => {
  const identifier = () => new SztpDeviceIdentifier({ dataSource, now: () => NOW });

  it('identifies a device by an IDevID that chains to its type, with the serial read by the type rule', async () => {
    const identified = await identifier().identify({ clientCertificate: { leaf: idevid.der, chain: [] } });
    expect(identified).toEqual({
      deviceId: device.id,
      deviceTypeId: signedType.id,
      serialNumber: 'SN-1',
      outputProfile: 'signed',
      authenticatedBy: 'client-certificate',
      idevidPublicKey: expect.any(Uint8Array),
    });
  });

  it('follows intermediates the device sends', async () => {
    const intermediate = await testCertificate({ subject: 'CN=Acme Line 2 CA', ca: true, issuer: deviceCa });
    const leaf = await testCertificate({ subject: '2.5.4.5=PID:R1 SN:SN-1', issuer: intermediate });
    const only = identifier();
    expect(await identityError(only.identify({ clientCertificate: { leaf: leaf.der, chain: [] } }))).toBe(
      'untrusted-certificate',
    );
    await expect(
      only.identify({ clientCertificate: { leaf: leaf.der, chain: [intermediate.der] } }),
    ).resolves.toMatchObject({ deviceId: device.id });
  });

  it('refuses a certificate from another CA, an expired one, one without a serial and an unknown serial', async () => {
    const otherCa = await testCertificate({ subject: 'CN=Acme Device CA', ca: true });
    const foreign = await testCertificate({ subject: '2.5.4.5=PID:R1 SN:SN-1', issuer: otherCa });
    const expired = await testCertificate({
      subject: '2.5.4.5=PID:R1 SN:SN-1',
      issuer: deviceCa,
      notAfter: new Date('2025-01-01T00:00:00Z'),
    });
    const noSerial = await testCertificate({ subject: 'O=Acme', issuer: deviceCa });
    const unknown = await testCertificate({ subject: '2.5.4.5=PID:R1 SN:SN-404', issuer: deviceCa });
    const id = identifier();
    const withCert = (leaf: TestCertificate) =>
      id.identify({ clientCertificate: { leaf: leaf.der, chain: [] } });
    expect(await identityError(withCert(foreign))).toBe('untrusted-certificate');
    expect(await identityError(withCert(expired))).toBe('untrusted-certificate');
    expect(await identityError(withCert(noSerial))).toBe('no-serial-number');
    expect(await identityError(withCert(unknown))).toBe('unknown-device');
    expect(
      await identityError(id.identify({ clientCertificate: { leaf: new Uint8Array([48, 0]), chain: [] } })),
    ).toBe('untrusted-certificate');
    expect(await identityError(id.identify({}))).toBe('no-credentials');
  });

  it('accepts serial + activation code for device types that allow it, also beside an untrusted certificate', async () => {
    const id = identifier();
    const basic = { username: 'LAB-7', password: 'my-secret' };
    await expect(id.identify({ basic })).resolves.toEqual({
      deviceId: labDevice.id,
      deviceTypeId: labType.id,
      serialNumber: 'LAB-7',
      outputProfile: 'lab',
      authenticatedBy: 'activation-code',
    });
    const stranger = await testCertificate({ subject: 'CN=LAB-7' });
    await expect(
      id.identify({ basic, clientCertificate: { leaf: stranger.der, chain: [] } }),
    ).resolves.toMatchObject({ deviceId: labDevice.id, authenticatedBy: 'activation-code' });
    expect(await identityError(id.identify({ basic: { username: 'LAB-7', password: 'wrong' } }))).toBe(
      'bad-activation-code',
    );
    // Without Basic, the certificate's own failure is what the device hears.
    expect(await identityError(id.identify({ clientCertificate: { leaf: stranger.der, chain: [] } }))).toBe(
      'untrusted-certificate',
    );
  });

  it('refuses a trusted certificate presented with Basic credentials for another serial number', async () => {
    const id = identifier();
    const clientCertificate = { leaf: idevid.der, chain: [] };
    expect(
      await identityError(
        id.identify({ clientCertificate, basic: { username: 'LAB-7', password: 'my-secret' } }),
      ),
    ).toBe('credential-mismatch');
    // The same serial number in both is fine: the certificate identifies the device.
    await expect(
      id.identify({ clientCertificate, basic: { username: 'SN-1', password: 'whatever' } }),
    ).resolves.toMatchObject({ deviceId: device.id, authenticatedBy: 'client-certificate' });
  });

  it('locks a serial number after too many wrong activation codes (even the right code), audited; and a guessing source', async () => {
    let now = new Date(NOW.getTime() + 3_600_000);
    const lockout = { perSerial: 3, perSource: 5, windowMs: 60_000, lockoutMs: 120_000 };
    const id = new SztpDeviceIdentifier({ dataSource, now: () => now, lockout, cacheTtlMs: 0 });
    const lab = await dataSource.getRepository(SztpDeviceEntity).save({
      deviceTypeId: labType.id,
      serialNumber: 'LAB-LOCK',
      bootstrapState: 'pending',
      activationCodeHash: await hashActivationCode('right-code'),
    });
    const guess = (password: string, source = '198.51.100.1', username = 'LAB-LOCK') =>
      id.identify({ basic: { username, password }, source });
    expect(await identityError(guess('wrong-1'))).toBe('bad-activation-code');
    expect(await identityError(guess('wrong-2'))).toBe('bad-activation-code');
    const third = guess('wrong-3');
    await expect(third).rejects.toMatchObject({ code: 'locked-out', retryAfterSeconds: 120 });
    // Locked: the right code is refused too, from any address.
    await expect(guess('right-code', '198.51.100.99')).rejects.toMatchObject({ code: 'locked-out' });
    const audit: { event_type: string; subject: string; tenant_id: string }[] = await dataSource.query(
      `SELECT event_type, subject, tenant_id FROM audit_event WHERE event_type = 'sztp.activation-code.locked'`,
    );
    expect(audit).toEqual([
      { event_type: 'sztp.activation-code.locked', subject: 'LAB-LOCK', tenant_id: manufacturer.id },
    ]);
    // After the lockout the right code works, and clears the serial number's count.
    now = new Date(now.getTime() + 121_000);
    await expect(guess('right-code')).resolves.toMatchObject({ deviceId: lab.id });
    expect(await identityError(guess('wrong-4'))).toBe('bad-activation-code');

    // One address guessing across serial numbers is locked on its own count.
    now = new Date(now.getTime() + 3_600_000);
    for (let i = 0; i < 4; i++) {
      expect(await identityError(guess('x', '203.0.113.9', `NOPE-${i}`))).toBe('bad-activation-code');
    }
    await expect(guess('x', '203.0.113.9', 'NOPE-4')).rejects.toMatchObject({ code: 'locked-out' });
    await expect(guess('right-code', '203.0.113.9')).rejects.toMatchObject({ code: 'locked-out' });
    await expect(guess('right-code', '203.0.113.10')).resolves.toMatchObject({ deviceId: lab.id });
  });

  it('refuses activation codes for device types that do not allow them', async () => {
    await dataSource
      .getRepository(SztpDeviceEntity)
      .update({ id: device.id }, { activationCodeHash: await hashActivationCode('code') });
    expect(
      await identityError(identifier().identify({ basic: { username: 'SN-1', password: 'code' } })),
    ).toBe('bad-activation-code');
  });
});

describe('SztpProgressLog', () => {
  it('keeps every report and moves the device state; bootstrap-complete captures host keys and trust anchors', async () => {
    const log = new SztpProgressLog({ dataSource, now: () => NOW });
    const report = (input: sztp.ReportProgressInput) =>
      log.record({
        deviceId: device.id,
        server: 'onboarding',
        input,
        remoteAddress: '10.0.0.9',
      });
    expect((await report({ progressType: 'bootstrap-initiated' })).state).toBe('in-progress');
    expect((await report({ progressType: 'boot-image-installed-rebooting' })).state).toBe('rebooting');
    expect((await report({ progressType: 'informational', message: 'hello' })).state).toBe('rebooting');
    expect((await report({ progressType: 'config-error', message: 'bad config' })).state).toBe('failed');
    const bag = sztp.encodeCertsOnly([deviceCa.der]);
    const hostKey = randomBytes(51);
    expect(
      (
        await report({
          progressType: 'bootstrap-complete',
          sshHostKeys: [{ algorithm: 'ssh-ed25519', keyData: hostKey }],
          trustAnchorCerts: [bag],
        })
      ).state,
    ).toBe('complete');

    const events = await dataSource
      .getRepository(SztpProgressEventEntity)
      .find({ where: { deviceId: device.id }, order: { id: 'ASC' } });
    expect(events.map((e) => e.progressType)).toEqual([
      'bootstrap-initiated',
      'boot-image-installed-rebooting',
      'informational',
      'config-error',
      'bootstrap-complete',
    ]);
    expect(events[3]).toMatchObject({
      message: 'bad config',
      remoteAddress: '10.0.0.9',
      server: 'onboarding',
    });
    const stored = await dataSource.getRepository(SztpDeviceEntity).findOneByOrFail({ id: device.id });
    expect(stored).toMatchObject({
      bootstrapState: 'complete',
      lastProgressType: 'bootstrap-complete',
      sshHostKeys: [{ algorithm: 'ssh-ed25519', keyData: hostKey.toString('base64') }],
      trustAnchorCerts: [b64(bag)],
    });
    expect(stored.onboardedAt).toEqual(NOW);
  });
});

describe('device context and signers', () => {
  let custody: SoftwareKeyCustody;
  let ownerCa: TestCertificate;
  let ownerSigning: TestCertificate;
  let masaCert: TestCertificate;
  let masa: SztpMasaEntity;

  beforeAll(async () => {
    custody = new SoftwareKeyCustody({
      store: new InMemorySealedKeyStore(),
      masterKey: { version: 1, key: new Uint8Array(randomBytes(32)) },
      now: () => NOW,
    });
    ownerCa = await testCertificate({ subject: 'CN=Owner CA', ca: true });
    ownerSigning = await testCertificate({ subject: 'CN=Owner SZTP signer', issuer: ownerCa });
    masaCert = await testCertificate({ subject: 'CN=Acme MASA' });
    await custody.importKey({ keyId: 'owner-ca', privateKey: ownerCa.privateKey, purpose: 'test' });
    await custody.importKey({ keyId: 'owner-signing', privateKey: ownerSigning.privateKey, purpose: 'test' });
    await custody.importKey({ keyId: 'masa', privateKey: masaCert.privateKey, purpose: 'test' });
    await dataSource.getRepository(SztpOwnerEntity).save({
      tenantId: owner.id,
      caKeyId: 'owner-ca',
      caCertificate: Buffer.from(ownerCa.der),
      signingKeyId: 'owner-signing',
      signingCertificate: Buffer.from(ownerSigning.der),
      bootstrapServers: [{ address: 'boot.owner.example', port: 8443 }],
      ldevidValidityDays: 365,
    });
    masa = await dataSource.getRepository(SztpMasaEntity).save({
      tenantId: manufacturer.id,
      name: 'acme-masa',
      certificate: Buffer.from(masaCert.der),
      chain: [],
      trustAnchors: [],
      custodyKeyId: 'masa',
    });
  });

  it('loads the device alone, then with voucher, owner identity and the default or assigned profile', async () => {
    expect(await loadSztpDeviceContext(dataSource, labDevice.id)).toEqual({
      deviceId: labDevice.id,
      serialNumber: 'LAB-7',
      lifecycle: 'manufactured',
    });
    expect(await loadSztpDeviceContext(dataSource, '00000000-0000-4000-8000-000000000000')).toBeUndefined();

    const issuer = new SztpMasaVoucherIssuer({ dataSource, custody, now: () => NOW });
    const cms = await issuer.issue(masa.id, { serialNumber: 'SN-1', pinnedDomainCert: ownerCa.der });
    const voucher = await dataSource.getRepository(SztpVoucherEntity).save({
      deviceId: device.id,
      serialNumber: 'SN-1',
      masaId: masa.id,
      holderTenantId: owner.id,
      cms: Buffer.from(cms),
      contentType: sztp.Oid.animaJsonVoucher,
      pinnedDomainCertSha256: 'x',
      pinsHolder: true,
      assertion: 'verified',
      expiresOn: null,
      source: 'issued',
      status: 'active',
      replacesVoucherId: null,
    });
    const profiles = dataSource.getRepository(SztpOnboardingProfileEntity);
    const fallback = await profiles.save({
      tenantId: owner.id,
      name: 'default',
      isDefault: true,
      bootImage: null,
      configuration: Buffer.from('{}'),
      configurationHandling: 'merge',
      issueLdevid: false,
    });
    const special = await profiles.save({
      tenantId: owner.id,
      name: 'special',
      isDefault: false,
      bootImage: { downloadUris: ['https://img.example/os.bin'], sha256: 'ab'.repeat(32) },
      issueLdevid: true,
    });

    const context = await loadSztpDeviceContext(dataSource, device.id);
    expect(context).toMatchObject({
      serialNumber: 'SN-1',
      voucher: { id: voucher.id, masaId: masa.id, holderTenantId: owner.id, pinsHolder: true },
      owner: { tenantId: owner.id, signingKeyId: 'owner-signing', ldevidValidityDays: 365 },
      profile: { id: fallback.id, issueLdevid: false, configurationHandling: 'merge' },
    });
    expect(Buffer.from(context!.voucher!.cms).equals(Buffer.from(cms))).toBe(true);
    expect(new TextDecoder().decode(context!.profile!.configuration!)).toBe('{}');

    await dataSource
      .getRepository(SztpDeviceEntity)
      .update({ id: device.id }, { onboardingProfileId: special.id });
    expect((await loadSztpDeviceContext(dataSource, device.id))!.profile).toMatchObject({
      id: special.id,
      issueLdevid: true,
      bootImage: { downloadUris: ['https://img.example/os.bin'] },
    });
  });

  it('files progress reports under the holder of the active voucher', async () => {
    const log = new SztpProgressLog({ dataSource, now: () => NOW });
    const { event } = await log.record({
      deviceId: device.id,
      server: 'redirect',
      input: { progressType: 'informational' },
    });
    expect(event).toMatchObject({ holderTenantId: owner.id, server: 'redirect', remoteAddress: null });
  });

  it('signs conveyed information as the owner and vouchers as the MASA, verifiable as a device would', async () => {
    const context = (await loadSztpDeviceContext(dataSource, device.id))!;
    const signers = new SztpOwnerSigners(custody);
    const ownerSigner = await signers.forOwner(context.owner!);
    expect(await signers.forOwner(context.owner!)).toBe(ownerSigner);
    const issuer = new SztpMasaVoucherIssuer({ dataSource, custody, now: () => NOW });
    const nonce = randomBytes(24);
    const voucher = await issuer.issue(masa.id, {
      serialNumber: 'SN-1',
      pinnedDomainCert: ownerSigner.pinnedDomainCert,
      nonce,
    });
    const conveyed = await sztp.signConveyedInformation(
      { kind: 'redirect-information', bootstrapServers: [{ address: 'boot.owner.example', port: 8443 }] },
      ownerSigner.signer,
    );
    const verified = sztp.verifyBootstrappingData(
      {
        conveyedInformation: conveyed,
        ownerCertificate: ownerSigner.ownerCertificateArtifact,
        ownershipVoucher: voucher,
      },
      { manufacturerTrust: { masaCertificate: masaCert.der }, serialNumber: 'SN-1', nonce, now: NOW },
    );
    expect(verified.conveyed.info).toMatchObject({ kind: 'redirect-information' });
    expect(verified.voucher!.voucher).toMatchObject({
      serialNumber: 'SN-1',
      assertion: 'verified',
      createdOn: NOW.toISOString(),
    });
    expect(verified.voucher!.voucher.expiresOn).toBeUndefined();
  });

  it('says an external MASA cannot sign', async () => {
    const external = await dataSource.getRepository(SztpMasaEntity).save({
      tenantId: manufacturer.id,
      name: 'external',
      certificate: Buffer.from(masaCert.der),
      chain: [],
      trustAnchors: [],
      custodyKeyId: null,
    });
    const issuer = new SztpMasaVoucherIssuer({ dataSource, custody, now: () => NOW });
    expect(await issuer.canIssue(external.id)).toBe(false);
    expect(await issuer.canIssue(masa.id)).toBe(true);
    await expect(
      issuer.issue(external.id, { serialNumber: 'x', pinnedDomainCert: ownerCa.der }),
    ).rejects.toBeInstanceOf(SztpMasaUnavailableError);
  });
});
