import { createHash, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { type DeviceCredential, diHashAlgFor, diHmacAlgFor } from '@ztp/fdo-client';
import {
  DeviceEntity,
  OwnerKeyEntity,
  PostgresSealedKeyStore,
  TenantEntity,
  VoucherEntity,
} from '@ztp/persistence';
import {
  CertificateIssuer,
  createCsr,
  InMemorySealedKeyStore,
  type KeyCustody,
  type KeySpec,
  parseCsr,
  SoftwareKeyCustody,
} from '@ztp/pki';
import {
  buildRendezvousInfo,
  computeFdoHash,
  computeFdoHmac,
  createSoftwareSigner,
  createVoucher,
  encodePublicKey,
  encodeOvHeader,
  encodeRendezvousInfo,
  extendVoucher,
  guidToHex,
  KexSuite,
  newGuid,
  RawCbor,
  type OwnershipVoucher,
  type RvDirectiveSpec,
} from '@ztp/protocol';
import { type DataSource } from 'typeorm';

/**
 * Test support: devices and vouchers made directly with the protocol and PKI libraries (what DI and
 * a voucher transfer would leave behind), for owner-onboarding tests and benchmarks. Keys of one
 * spec are generated once per process (RSA-3072 generation takes a while).
 */

const keys = new Map<string, KeyObject>();

export function testKey(spec: KeySpec, slot = 'default'): KeyObject {
  const id = `${spec}/${slot}`;
  let key = keys.get(id);
  if (!key) {
    key = (
      spec === 'P-256' || spec === 'P-384'
        ? generateKeyPairSync('ec', { namedCurve: spec })
        : generateKeyPairSync('rsa', { modulusLength: spec === 'RSA-2048' ? 2048 : 3072 })
    ).privateKey;
    keys.set(id, key);
  }
  return key;
}

/** Key custody over the app's sealed_key table (same master key), to seed owner keys. */
export function testCustody(dataSource: DataSource, masterKeyBase64: string): KeyCustody {
  return new SoftwareKeyCustody({
    store: new PostgresSealedKeyStore(dataSource),
    masterKey: { version: 1, key: new Uint8Array(Buffer.from(masterKeyBase64, 'base64')) },
    now: () => new Date(),
  });
}

export interface TestOwner {
  tenant: TenantEntity;
  ownerKeyId: string;
  ownerPublicKey: KeyObject;
  spec: KeySpec;
}

export async function createOwner(
  dataSource: DataSource,
  custody: KeyCustody,
  options: { slug?: string; spec?: KeySpec; settings?: Record<string, unknown> } = {},
): Promise<TestOwner> {
  const slug = options.slug ?? `owner-${randomBytes(4).toString('hex')}`;
  const spec = options.spec ?? 'P-256';
  const tenant = await dataSource
    .getRepository(TenantEntity)
    .save({ kind: 'owner', name: `Owner ${slug}`, slug, settings: options.settings ?? {} });
  const ownerKeyId = `test-owner-key-${randomBytes(6).toString('hex')}`;
  const info = await custody.generateKey({ keyId: ownerKeyId, spec, purpose: `owner:${tenant.id}` });
  await dataSource.getRepository(OwnerKeyEntity).insert({
    tenantId: tenant.id,
    name: `key-${ownerKeyId}`,
    spec,
    custodyKeyId: ownerKeyId,
    publicKeySpki: Buffer.from(info.publicKeySpki),
    publicKeySha256: createHash('sha256').update(info.publicKeySpki).digest('hex'),
    retiredAt: null,
  });
  return { tenant, ownerKeyId, ownerPublicKey: info.publicKey, spec };
}

export interface TestManufacturer {
  /** Manufacturer (voucher-signing) key. */
  key: KeyObject;
  /** Device CA key inside its own in-memory custody. */
  issuer: CertificateIssuer;
  caKeyId: string;
  caCertificate: Uint8Array;
}

const manufacturers = new Map<KeySpec, Promise<TestManufacturer>>();

/** A manufacturer whose voucher key is of `spec`, with a P-256 device CA; one per spec and process. */
export function testManufacturer(spec: KeySpec): Promise<TestManufacturer> {
  let manufacturer = manufacturers.get(spec);
  if (!manufacturer) {
    manufacturer = (async () => {
      const custody = new SoftwareKeyCustody({
        store: new InMemorySealedKeyStore(),
        masterKey: { version: 1, key: new Uint8Array(randomBytes(32)) },
        now: () => new Date(),
      });
      const issuer = new CertificateIssuer({
        custody,
        now: () => new Date(),
        randomBytes: (n) => randomBytes(n),
      });
      const caKeyId = 'device-ca';
      await custody.generateKey({ keyId: caKeyId, spec: 'P-256', purpose: 'device-ca' });
      const ca = await issuer.createRootCa({
        keyId: caKeyId,
        subject: { organization: 'Test Manufacturer', commonName: 'Test Device CA' },
        validityDays: 3650,
      });
      return { key: testKey(spec, 'manufacturer'), issuer, caKeyId, caCertificate: ca.certificate };
    })();
    manufacturers.set(spec, manufacturer);
  }
  return manufacturer;
}

export interface TestDevice {
  deviceId: string;
  guidHex: string;
  serialNumber: string;
  credential: DeviceCredential;
  voucher: OwnershipVoucher;
  voucherId: string;
}

export interface ProvisionOptions {
  owner: TestOwner;
  deviceKeySpec?: KeySpec;
  /** Rendezvous directives written into the voucher (default: a bypass to owner-onboarding). */
  rendezvous?: RvDirectiveSpec[];
  deviceInfo?: string;
  serialNumber?: string;
  kexSuite?: KexSuite;
  cipherSuite?: DeviceCredential['cipherSuite'];
}

/**
 * A device after DI whose voucher was extended to the owner's key and is held by the owner: the
 * device row, the voucher row and the device's credential.
 */
export async function provisionDevice(
  dataSource: DataSource,
  options: ProvisionOptions,
): Promise<TestDevice> {
  const deviceKeySpec = options.deviceKeySpec ?? 'P-256';
  const manufacturer = await testManufacturer(options.owner.spec);
  const deviceKey = testKey(deviceKeySpec, 'device');
  const csr = await parseCsr(
    await createCsr({ signer: createSoftwareSigner(deviceKey), subject: { commonName: 'device' } }),
  );
  const serialNumber = options.serialNumber ?? `SN-${randomBytes(5).toString('hex')}`;
  const deviceCertificate = await manufacturer.issuer.issueFromCsr(
    { keyId: manufacturer.caKeyId, certificate: manufacturer.caCertificate },
    csr,
    { kind: 'device-identity', deviceSerial: serialNumber, validityDays: 3650 },
  );
  const chain = [deviceCertificate, manufacturer.caCertificate];
  const hashAlg = diHashAlgFor(deviceKey, manufacturer.key);
  const guid = newGuid();
  const rendezvousInfo = encodeRendezvousInfo(
    buildRendezvousInfo(
      options.rendezvous ?? [{ dns: 'localhost', port: 8042, protocol: 'http', bypass: true }],
    ),
  );
  const manufacturerKey = encodePublicKey(manufacturer.key);
  const header = encodeOvHeader({
    guid,
    rendezvousInfo: new RawCbor(rendezvousInfo),
    deviceInfo: options.deviceInfo ?? 'ztp test device',
    manufacturerKey,
    certChainHash: computeFdoHash(hashAlg, chain),
  });
  const hmacSecret = new Uint8Array(randomBytes(32));
  const manufactured = createVoucher({
    header,
    headerHmac: computeFdoHmac(diHmacAlgFor(hashAlg), hmacSecret, header.bytes),
    deviceCertChain: chain,
  });
  const voucher = await extendVoucher(
    manufactured,
    createSoftwareSigner(manufacturer.key),
    options.owner.ownerPublicKey,
  );
  const guidHex = guidToHex(guid);
  const device = await dataSource.getRepository(DeviceEntity).save({
    manufacturerTenantId: null,
    serialNumber,
    deviceInfo: header.deviceInfo,
    guid: guidHex,
    originalGuid: guidHex,
    lifecycle: 'owned',
  });
  const ownerSpki = options.owner.ownerPublicKey.export({ type: 'spki', format: 'der' });
  const inserted = await dataSource.getRepository(VoucherEntity).insert({
    deviceId: device.id,
    guid: guidHex,
    cbor: Buffer.from(voucher.bytes),
    numEntries: voucher.entries.length,
    ownerKeySha256: createHash('sha256').update(ownerSpki).digest('hex'),
    holderTenantId: options.owner.tenant.id,
    status: 'active',
    replacesVoucherId: null,
    deletedAt: null,
  });
  return {
    deviceId: device.id,
    guidHex,
    serialNumber,
    voucher,
    voucherId: (inserted.identifiers[0] as { id: string }).id,
    credential: {
      active: true,
      protocolVersion: 101,
      guid: guidHex,
      deviceInfo: header.deviceInfo,
      serialNumber,
      rendezvousInfo,
      manufacturerKeyHash: computeFdoHash(hashAlg, manufacturerKey.bytes),
      hmacSecret,
      privateKey: deviceKey,
      deviceCertChainHash: header.certChainHash,
      kexSuite: options.kexSuite ?? KexSuite.ECDH256,
      cipherSuite: options.cipherSuite ?? 'A128GCM',
    },
  };
}
