import { type KeyCustody } from '@ztp/pki';
import { sztp } from '@ztp/protocol';
import { type DataSource } from 'typeorm';
import { TenantEntity } from '../ledger';
import { hashActivationCode } from './activation-code';
import { SztpDeviceTypeEntity, type SztpOutputProfile } from './sztp-device-type.entity';
import { SztpDeviceEntity } from './sztp-device.entity';
import { SztpMasaEntity } from './sztp-masa.entity';
import { SztpOnboardingProfileEntity } from './sztp-onboarding-profile.entity';
import { SztpOwnerEntity, type StoredBootstrapServer } from './sztp-owner.entity';
import { SztpMasaVoucherIssuer } from './sztp-signers';
import { testCertificate, type TestCertificate } from './sztp-test-certificates.testing';
import { SztpVoucherEntity } from './sztp-voucher.entity';

/**
 * Test-only: an SZTP world in the database, with keys in the given custody. A manufacturer with a
 * device CA, a "signed" and a "lab" device type, a MASA; an owner with an owner CA, an owner
 * certificate and bootstrap servers; and `addDevice` for devices with a voucher held by the owner.
 */
export interface SztpFixture {
  readonly manufacturer: TenantEntity;
  readonly owner: TenantEntity;
  readonly deviceCa: TestCertificate;
  readonly signedType: SztpDeviceTypeEntity;
  readonly labType: SztpDeviceTypeEntity;
  readonly masa: SztpMasaEntity;
  readonly masaCertificate: TestCertificate;
  readonly ownerCa: TestCertificate;
  readonly ownerSigning: TestCertificate;
  addDevice(options: {
    serialNumber: string;
    type?: 'signed' | 'lab';
    activationCode?: string;
    withVoucher?: boolean;
  }): Promise<{ device: SztpDeviceEntity; idevid: TestCertificate }>;
  addProfile(
    profile: Partial<SztpOnboardingProfileEntity> & { name: string },
  ): Promise<SztpOnboardingProfileEntity>;
}

const b64 = (der: Uint8Array) => Buffer.from(der).toString('base64');

export async function createSztpFixture(
  dataSource: DataSource,
  custody: KeyCustody,
  options: { slug?: string; now?: () => Date; bootstrapServers?: StoredBootstrapServer[] } = {},
): Promise<SztpFixture> {
  const slug = options.slug ?? 'sztp';
  const now = options.now ?? (() => new Date());
  const tenants = dataSource.getRepository(TenantEntity);
  const manufacturer = await tenants.save({
    kind: 'manufacturer',
    name: `${slug} maker`,
    slug: `${slug}-maker`,
    settings: {},
  });
  const owner = await tenants.save({
    kind: 'owner',
    name: `${slug} owner`,
    slug: `${slug}-owner`,
    settings: {},
  });
  const deviceCa = await testCertificate({ subject: `CN=${slug} Device CA`, ca: true });
  const types = dataSource.getRepository(SztpDeviceTypeEntity);
  const typeFor = (name: string, outputProfile: SztpOutputProfile) =>
    types.save({
      tenantId: manufacturer.id,
      name,
      trustAnchors: [b64(deviceCa.der)],
      serialNumberSource: 'subject-serial-number',
      serialNumberPattern: null,
      outputProfile,
      activationCodeFallback: outputProfile === 'lab',
    });
  const signedType = await typeFor('router', 'signed');
  const labType = await typeFor('dpu', 'lab');

  const masaCertificate = await testCertificate({ subject: `CN=${slug} MASA` });
  const ownerCa = await testCertificate({ subject: `CN=${slug} Owner CA`, ca: true });
  const ownerSigning = await testCertificate({ subject: `CN=${slug} Owner`, issuer: ownerCa });
  await custody.importKey({ keyId: `${slug}-masa`, privateKey: masaCertificate.privateKey, purpose: 'test' });
  await custody.importKey({ keyId: `${slug}-owner-ca`, privateKey: ownerCa.privateKey, purpose: 'test' });
  await custody.importKey({ keyId: `${slug}-owner`, privateKey: ownerSigning.privateKey, purpose: 'test' });
  const masa = await dataSource.getRepository(SztpMasaEntity).save({
    tenantId: manufacturer.id,
    name: 'masa',
    certificate: Buffer.from(masaCertificate.der),
    chain: [],
    trustAnchors: [],
    custodyKeyId: `${slug}-masa`,
  });
  await dataSource.getRepository(SztpOwnerEntity).save({
    tenantId: owner.id,
    caKeyId: `${slug}-owner-ca`,
    caCertificate: Buffer.from(ownerCa.der),
    signingKeyId: `${slug}-owner`,
    signingCertificate: Buffer.from(ownerSigning.der),
    bootstrapServers: options.bootstrapServers ?? [{ address: 'bootstrap.example.net', port: 8443 }],
    ldevidValidityDays: 365,
  });
  const issuer = new SztpMasaVoucherIssuer({ dataSource, custody, now });

  return {
    manufacturer,
    owner,
    deviceCa,
    signedType,
    labType,
    masa,
    masaCertificate,
    ownerCa,
    ownerSigning,
    async addDevice({ serialNumber, type = 'signed', activationCode, withVoucher = true }) {
      const device = await dataSource.getRepository(SztpDeviceEntity).save({
        deviceTypeId: (type === 'signed' ? signedType : labType).id,
        serialNumber,
        bootstrapState: 'pending',
        activationCodeHash: activationCode ? await hashActivationCode(activationCode) : null,
      });
      const idevid = await testCertificate({
        subject: `2.5.4.5=${serialNumber}, CN=device`,
        issuer: deviceCa,
      });
      if (withVoucher) {
        const cms = await issuer.issue(masa.id, { serialNumber, pinnedDomainCert: ownerCa.der });
        await dataSource.getRepository(SztpVoucherEntity).save({
          deviceId: device.id,
          serialNumber,
          masaId: masa.id,
          holderTenantId: owner.id,
          cms: Buffer.from(cms),
          contentType: sztp.Oid.animaJsonVoucher,
          pinnedDomainCertSha256: 'test',
          pinsHolder: true,
          assertion: 'verified',
          expiresOn: null,
          source: 'issued',
          status: 'active',
          replacesVoucherId: null,
        });
      }
      return { device, idevid };
    },
    addProfile(profile) {
      return dataSource.getRepository(SztpOnboardingProfileEntity).save({
        tenantId: owner.id,
        isDefault: false,
        bootImage: null,
        preConfigurationScript: null,
        configuration: null,
        configurationHandling: null,
        postConfigurationScript: null,
        issueLdevid: false,
        ...profile,
      });
    },
  };
}
