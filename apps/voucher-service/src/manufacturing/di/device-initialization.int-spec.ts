import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { type DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FdoErrorReply, FdoHttpSession, runDeviceInitialize } from '@ztp/fdo-client';
import {
  AuditEventEntity,
  AuditLog,
  createTestDatabase,
  DeviceEntity,
  DiSessionEntity,
  openDataSource,
  OwnerKeyEntity,
  type TenantEntity,
  type TestDatabase,
  VoucherEntity,
} from '@ztp/persistence';
import { createCsr, pemToDer, validateChain } from '@ztp/pki';
import {
  createSoftwareSigner,
  decodeDiSetCredentials,
  decodeErrorMessage,
  decodeOvHeader,
  decodeRendezvousInfo,
  encode,
  encodeDeviceMfgInfo,
  encodeDiAppStart,
  encodeDiSetHmac,
  ErrorCode,
  MessageType,
  parseVoucher,
  PkEnc,
  PkType,
  RawCbor,
  RvVariable,
  verifyVoucher,
} from '@ztp/protocol';
import { type FdoAnswer, ManufacturingHarness } from '../manufacturing.testing';

let database: TestDatabase;
let dataSource: DataSource;
let harness: ManufacturingHarness;
let manufacturer: TenantEntity;
let rootCa: Uint8Array;
let stationKey: string;
let p256: KeyObject;

beforeAll(async () => {
  database = await createTestDatabase();
  dataSource = await openDataSource({ url: database.url });
  harness = new ManufacturingHarness(dataSource, { DI_TRUSTED_PROXIES: '10.99.0.0/16' });
  manufacturer = await harness.newManufacturer('acme');
  const pki = await harness.initializePki.execute({ tenantId: manufacturer.id, actor: 'test' });
  rootCa = pemToDer(pki.rootCaCertificate);
  await harness.setRendezvous.execute({
    tenantId: manufacturer.id,
    actor: 'test',
    directives: [{ ip: '192.0.2.7', port: 8040, protocol: 'http' }],
  });
  await harness.createStation.execute({
    tenantId: manufacturer.id,
    actor: 'test',
    name: 'loopback line',
    productionLine: 'line-1',
    allowedCidrs: ['127.0.0.0/8'],
  });
  const keyed = await harness.createStation.execute({
    tenantId: manufacturer.id,
    actor: 'test',
    name: 'keyed programmer',
    apiKey: true,
    allowedCidrs: ['10.0.0.0/8'],
  });
  stationKey = keyed.apiKey!;
  p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
});

afterAll(async () => {
  await dataSource?.destroy();
  await database?.drop();
});

afterEach(() => {
  harness.deviceInitializedHooks.length = 0;
});

let serials = 0;
const nextSerial = () => `SN-${++serials}`;

function device(
  serialNumber = nextSerial(),
  remoteAddress = '127.0.0.1',
  headers: Record<string, string> = {},
) {
  return runDeviceInitialize({
    session: new FdoHttpSession({
      baseUrl: 'http://di.test',
      fetch: harness.fetchFrom(remoteAddress),
      headers,
    }),
    serialNumber,
    deviceInfo: 'sim-device',
    privateKey: p256,
  });
}

async function appStart(options: {
  serialNumber?: string;
  keyType?: number;
  csr?: Uint8Array;
  remoteAddress?: string;
}): Promise<FdoAnswer> {
  const csr =
    options.csr ?? (await createCsr({ signer: createSoftwareSigner(p256), subject: { commonName: 'x' } }));
  const mfgInfo = encodeDeviceMfgInfo({
    keyType: options.keyType ?? PkType.SECP256R1,
    keyEncoding: PkEnc.X509,
    serialNumber: options.serialNumber ?? nextSerial(),
    deviceInfo: 'raw-device',
    certInfo: csr,
  });
  return harness.send(MessageType.DIAppStart, encodeDiAppStart({ deviceMfgInfo: mfgInfo }), {
    remoteAddress: options.remoteAddress,
  });
}

function setHmac(): Uint8Array {
  return encodeDiSetHmac({ hmac: new RawCbor(encode([5, new Uint8Array(32).fill(1)])) });
}

function expectError(answer: FdoAnswer, code: number, message?: RegExp): void {
  expect(answer.type).toBe(MessageType.Error);
  const error = decodeErrorMessage(answer.body);
  expect(error.code).toBe(code);
  if (message) expect(error.message).toMatch(message);
}

async function expectRefused(promise: Promise<unknown>, code: number, message?: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FdoErrorReply);
  expect((err as FdoErrorReply).code).toBe(code);
  if (message) expect((err as FdoErrorReply).message).toMatch(message);
}

describe('FDO DI (10 -> 11, 12 -> 13) on a real database', () => {
  it('initialises a device: voucher stored with 0 entries, verifiable, chain to the root, audit event', async () => {
    const before = await harness.counts();
    const credential = await device('SN-complete');
    const stored = await dataSource.getRepository(VoucherEntity).findOneByOrFail({ guid: credential.guid });
    expect(stored).toMatchObject({ numEntries: 0, status: 'active', holderTenantId: manufacturer.id });

    const voucher = parseVoucher(new Uint8Array(stored.cbor));
    verifyVoucher(voucher, { hmacSecret: credential.hmacSecret });
    expect(voucher.deviceCertChain).toHaveLength(3);
    const validated = validateChain(voucher.deviceCertChain!, [rootCa], { at: harness.clock.now() });
    expect(validated.leafPublicKey.equals(createSoftwareSigner(p256).publicKey)).toBe(true);
    expect(Buffer.from(voucher.deviceCertChain![2]!)).toEqual(Buffer.from(rootCa));
    const rv = decodeRendezvousInfo(voucher.header.rendezvousInfo.bytes);
    expect(rv[0]!.find((i) => i.variable === RvVariable.Protocol)?.value).toEqual(Uint8Array.of(1));
    expect(rv[0]!.find((i) => i.variable === RvVariable.IPAddress)?.value).toHaveLength(17);

    const deviceRow = await dataSource.getRepository(DeviceEntity).findOneByOrFail({ guid: credential.guid });
    expect(deviceRow).toMatchObject({
      lifecycle: 'manufactured',
      serialNumber: 'SN-complete',
      manufacturerTenantId: manufacturer.id,
      originalGuid: credential.guid,
    });
    const event = await dataSource.getRepository(AuditEventEntity).findOneByOrFail({
      tenantId: manufacturer.id,
      eventType: 'device.initialized',
      subject: `device:${credential.guid}`,
    });
    expect(event.data).toMatchObject({
      serialNumber: 'SN-complete',
      productionLine: 'line-1',
      voucherId: stored.id,
    });
    expect(await dataSource.transaction((m) => new AuditLog().verifyChain(m, manufacturer.id))).toMatchObject(
      {
        valid: true,
      },
    );
    expect(await harness.counts()).toEqual({
      devices: before.devices + 1,
      vouchers: before.vouchers + 1,
      auditEvents: before.auditEvents + 1,
      completedSessions: before.completedSessions + 1,
    });
  });

  it("signs each voucher with the manufacturer's voucher key of the device's key type, else the PKI's", async () => {
    const keys = dataSource.getRepository(OwnerKeyEntity);
    const p384Key = await harness.custody.generateKey({
      keyId: 'acme-voucher-p384',
      spec: 'P-384',
      purpose: 't',
    });
    const p384Row = await keys.save({
      tenantId: manufacturer.id,
      name: 'voucher P-384',
      spec: 'P-384',
      custodyKeyId: p384Key.keyId,
      publicKeySpki: Buffer.from(p384Key.publicKeySpki),
      publicKeySha256: createHash('sha256').update(p384Key.publicKeySpki).digest('hex'),
      retiredAt: null,
    });
    const manufacturerKeyOf = async (guid: string) => {
      const stored = await dataSource.getRepository(VoucherEntity).findOneByOrFail({ guid });
      const key = parseVoucher(new Uint8Array(stored.cbor)).header.manufacturerKey;
      return { spki: key.key.export({ type: 'spki', format: 'der' }), sha: stored.ownerKeySha256 };
    };
    const onP384 = await runDeviceInitialize({
      session: new FdoHttpSession({ baseUrl: 'http://di.test', fetch: harness.fetchFrom('127.0.0.1') }),
      serialNumber: nextSerial(),
      deviceInfo: 'sim-device',
      privateKey: generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey,
    });
    expect(await manufacturerKeyOf(onP384.guid)).toEqual({
      spki: Buffer.from(p384Key.publicKeySpki),
      sha: p384Row.publicKeySha256,
    });
    // P-256 device: the PKI's own (P-256) voucher key, as before.
    const onP256 = await manufacturerKeyOf((await device()).guid);
    expect(onP256.sha).not.toBe(p384Row.publicKeySha256);
    expect(
      createPublicKey({ key: onP256.spki, format: 'der', type: 'spki' }).asymmetricKeyDetails,
    ).toMatchObject({
      namedCurve: 'prime256v1',
    });
    // No RSA-2048 voucher key: the PKI's key signs (the device still gets its voucher).
    const onRsa = await runDeviceInitialize({
      session: new FdoHttpSession({ baseUrl: 'http://di.test', fetch: harness.fetchFrom('127.0.0.1') }),
      serialNumber: nextSerial(),
      deviceInfo: 'sim-device',
      privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
    });
    expect((await manufacturerKeyOf(onRsa.guid)).sha).toBe(onP256.sha);
    await keys.update({ id: p384Row.id }, { retiredAt: new Date() });
  });

  it('refuses a second DI for the same serial at message 10 (101) and stores nothing', async () => {
    await device('SN-twice');
    const before = await harness.counts();
    await expectRefused(device('SN-twice'), ErrorCode.InvalidMessageError, /already gone through DI/);
    expect(await harness.counts()).toEqual(before);
  });

  it('refuses a replayed DI.SetHMAC, a SetHMAC without or with an unknown session, and an expired one (1)', async () => {
    const started = await appStart({});
    expect(started.type).toBe(MessageType.DISetCredentials);
    const done = await harness.send(MessageType.DISetHMAC, setHmac(), { token: started.token });
    expect(done.type).toBe(MessageType.DIDone);
    const before = await harness.counts();
    expectError(
      await harness.send(MessageType.DISetHMAC, setHmac(), { token: started.token }),
      1,
      /replayed/,
    );
    expectError(await harness.send(MessageType.DISetHMAC, setHmac()), 1, /session token/);
    expectError(await harness.send(MessageType.DISetHMAC, setHmac(), { token: 'nope' }), 1, /unknown/);

    const late = await appStart({});
    harness.clock.advance(harness.config.manufacturing.diSessionTtlSeconds * 1000 + 1);
    expectError(await harness.send(MessageType.DISetHMAC, setHmac(), { token: late.token }), 1, /expired/);
    expect(await harness.counts()).toEqual(before);
  });

  it('answers messages out of order with an FDO error: 11 and 13 are not requests, 12 needs 10 first', async () => {
    const before = await harness.counts();
    expectError(await harness.send(MessageType.DISetCredentials, encode([])), 100, /not served/);
    expectError(await harness.send(MessageType.DIDone, encode([])), 100, /not served/);
    expectError(await harness.send(MessageType.DISetHMAC, setHmac(), { token: 'no-such-session' }), 1);
    expect(await harness.counts()).toEqual(before);
  });

  it('lets a new AppStart replace an unfinished one for the same serial', async () => {
    const first = await appStart({ serialNumber: 'SN-restart' });
    const second = await appStart({ serialNumber: 'SN-restart' });
    expectError(await harness.send(MessageType.DISetHMAC, setHmac(), { token: first.token }), 1);
    expect((await harness.send(MessageType.DISetHMAC, setHmac(), { token: second.token })).type).toBe(
      MessageType.DIDone,
    );
  });

  it('enforces one DI per serial in the database too: a race lost at message 12 is 101 with nothing stored', async () => {
    const started = await appStart({ serialNumber: 'SN-race' });
    await dataSource.getRepository(DeviceEntity).insert({
      manufacturerTenantId: manufacturer.id,
      serialNumber: 'SN-race',
      deviceInfo: 'other path',
      guid: 'ab'.repeat(16),
      originalGuid: 'ab'.repeat(16),
      lifecycle: 'manufactured',
    });
    const before = await harness.counts();
    expectError(
      await harness.send(MessageType.DISetHMAC, setHmac(), { token: started.token }),
      ErrorCode.InvalidMessageError,
      /serial number has already gone through DI/,
    );
    expect(await harness.counts()).toEqual(before);
  });

  it('runs the DEVICE_INITIALIZED hooks inside the transaction: they see the rows, and a failing one rolls DI back', async () => {
    const seen: unknown[] = [];
    harness.deviceInitializedHooks.push(async (manager, event) => {
      const voucher = await manager.getRepository(VoucherEntity).findOneByOrFail({ id: event.voucherId });
      seen.push({ ...event, voucherGuid: voucher.guid });
    });
    const credential = await device('SN-hooked');
    expect(seen).toEqual([
      expect.objectContaining({
        guid: credential.guid,
        voucherGuid: credential.guid,
        serialNumber: 'SN-hooked',
        manufacturerTenantId: manufacturer.id,
        productionLine: 'line-1',
        deviceInfo: 'sim-device',
      }),
    ]);

    harness.deviceInitializedHooks.length = 0;
    harness.deviceInitializedHooks.push(async (manager) => {
      await manager.getRepository(AuditEventEntity).count();
      throw new Error('assignment rule failed');
    });
    const started = await appStart({ serialNumber: 'SN-rollback' });
    const before = await harness.counts();
    expectError(await harness.send(MessageType.DISetHMAC, setHmac(), { token: started.token }), 500);
    expect(await harness.counts()).toEqual(before);
    expect(await dataSource.getRepository(DeviceEntity).existsBy({ serialNumber: 'SN-rollback' })).toBe(
      false,
    );

    harness.deviceInitializedHooks.length = 0;
    expect((await harness.send(MessageType.DISetHMAC, setHmac(), { token: started.token })).type).toBe(
      MessageType.DIDone,
    );
  });

  it('completes concurrent DIs for one manufacturer without deadlocks, the audit chain intact', async () => {
    const before = await harness.counts();
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => device(`SN-parallel-${i}`)));
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    expect((await harness.counts()).devices).toBe(before.devices + 8);
    expect(await dataSource.transaction((m) => new AuditLog().verifyChain(m, manufacturer.id))).toMatchObject(
      {
        valid: true,
      },
    );
  });

  it('keeps DI session state durably, keyed by a hash of the token', async () => {
    const started = await appStart({ serialNumber: 'SN-durable' });
    const session = await dataSource
      .getRepository(DiSessionEntity)
      .findOneByOrFail({ serialNumber: 'SN-durable' });
    expect(session.tokenSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(session.tokenSha256).not.toContain(started.token);
    const { ovHeader } = decodeDiSetCredentials(started.body);
    expect(Buffer.from(session.ovHeader)).toEqual(Buffer.from(ovHeader.bytes));
    expect(decodeOvHeader(ovHeader.bytes).guid).toEqual(new Uint8Array(Buffer.from(session.guid, 'hex')));
  });
});

describe('DI station authentication', () => {
  it('refuses DI without station credentials (1) and stores nothing', async () => {
    const before = await harness.counts();
    await expectRefused(device(nextSerial(), '198.51.100.9'), 1, /station credential/);
    expect(await harness.counts()).toEqual(before);
  });

  it('accepts a station API key from its allowed networks only, and never a wrong key', async () => {
    await device(nextSerial(), '10.1.2.3', { 'x-station-key': stationKey });
    await expectRefused(device(nextSerial(), '198.51.100.9', { 'x-station-key': stationKey }), 1);
    await expectRefused(
      device(nextSerial(), '127.0.0.1', { 'x-station-key': `${stationKey.slice(0, -1)}A` }),
      1,
    );
    await expectRefused(device(nextSerial(), '10.1.2.3'), 1);
  });

  it('believes X-Forwarded-For only from a trusted proxy', async () => {
    await device(nextSerial(), '10.99.0.1', { 'x-forwarded-for': '203.0.113.5, 127.0.0.1' });
    await expectRefused(
      device(nextSerial(), '10.99.0.1', { 'x-forwarded-for': '127.0.0.1, 203.0.113.5' }),
      1,
    );
    await expectRefused(device(nextSerial(), '198.51.100.9', { 'x-forwarded-for': '127.0.0.1' }), 1);
  });

  it('matches a client certificate forwarded by a trusted proxy, and ignores it from elsewhere', async () => {
    const certificate = execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        '/dev/null',
        '-subj',
        '/CN=station',
        '-days',
        '2',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    await harness.createStation.execute({
      tenantId: manufacturer.id,
      actor: 'test',
      name: 'mTLS station',
      clientCertificate: certificate,
    });
    const header = { 'x-client-cert': encodeURIComponent(certificate) };
    await device(nextSerial(), '10.99.0.2', header);
    await expectRefused(device(nextSerial(), '198.51.100.9', header), 1);
  });

  it('stops every credential of a revoked station, including DI runs it had started', async () => {
    const { station, apiKey } = await harness.createStation.execute({
      tenantId: manufacturer.id,
      actor: 'test',
      name: 'to be revoked',
      apiKey: true,
    });
    await device(nextSerial(), '198.51.100.9', { 'x-station-key': apiKey! });
    const serialNumber = nextSerial();
    const started = await harness.send(
      MessageType.DIAppStart,
      encodeDiAppStart({
        deviceMfgInfo: encodeDeviceMfgInfo({
          keyType: PkType.SECP256R1,
          keyEncoding: PkEnc.X509,
          serialNumber,
          deviceInfo: 'x',
          certInfo: await createCsr({ signer: createSoftwareSigner(p256), subject: { commonName: 'x' } }),
        }),
      }),
      { remoteAddress: '198.51.100.9', headers: { 'x-station-key': apiKey! } },
    );
    expect(started.type).toBe(MessageType.DISetCredentials);
    await harness.revokeStation.execute({ tenantId: manufacturer.id, stationId: station.id, actor: 'test' });
    expectError(
      await harness.send(MessageType.DISetHMAC, setHmac(), {
        token: started.token,
        remoteAddress: '198.51.100.9',
        headers: { 'x-station-key': apiKey! },
      }),
      1,
    );
    await expectRefused(device(nextSerial(), '198.51.100.9', { 'x-station-key': apiKey! }), 1);
  });
});

describe('DI.AppStart with bad input: FDO error, nothing stored', () => {
  const cases: [string, () => Promise<FdoAnswer>, number, RegExp][] = [
    ['malformed CBOR', () => harness.send(MessageType.DIAppStart, Uint8Array.of(0x81, 0x59, 0xff)), 100, /./],
    [
      'no DeviceMfgInfo',
      () => harness.send(MessageType.DIAppStart, encodeDiAppStart({ deviceMfgInfo: null })),
      100,
      /DeviceMfgInfo/,
    ],
    [
      'bad CSR signature',
      async () => {
        const csr = await createCsr({ signer: createSoftwareSigner(p256), subject: { commonName: 'x' } });
        csr[csr.length - 3]! ^= 0x01;
        return appStart({ csr });
      },
      101,
      /not signed by its own key/,
    ],
    [
      'unsupported key type (P-521)',
      async () => {
        const pem = execFileSync(
          'openssl',
          [
            'req',
            '-new',
            '-newkey',
            'ec',
            '-pkeyopt',
            'ec_paramgen_curve:P-521',
            '-nodes',
            '-keyout',
            '/dev/null',
            '-subj',
            '/CN=x',
          ],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
        );
        return appStart({ csr: pemToDer(pem, 'CERTIFICATE REQUEST'), keyType: PkType.SECP384R1 });
      },
      101,
      /unsupported device key type/,
    ],
    ['unknown pkType', () => appStart({ keyType: 99 }), 101, /unsupported device key type 99/],
    ['pkType not matching the CSR key', () => appStart({ keyType: PkType.SECP384R1 }), 101, /SECP384R1/],
    ['CSR that is not DER', () => appStart({ csr: Uint8Array.of(1, 2, 3) }), 100, /PKCS#10/],
    ['serial with a control character', () => appStart({ serialNumber: 'a\u0001b' }), 101, /serial number/],
    [
      'oversized body',
      () => harness.send(MessageType.DIAppStart, new Uint8Array(65_536)),
      100,
      /exceeds 65535/,
    ],
  ];
  it.each(cases)('%s', async (_name, send, code, message) => {
    const before = await harness.counts();
    const sessions = await dataSource.getRepository(DiSessionEntity).count();
    expectError(await send(), code, message);
    expect(await harness.counts()).toEqual(before);
    expect(await dataSource.getRepository(DiSessionEntity).count()).toBe(sessions);
  });

  it('malformed DI.SetHMAC is 100 and leaves the session usable', async () => {
    const started = await appStart({});
    expectError(
      await harness.send(MessageType.DISetHMAC, encode([[5, new Uint8Array(3)]]), { token: started.token }),
      100,
    );
    expectError(
      await harness.send(MessageType.DISetHMAC, Uint8Array.of(0xff), { token: started.token }),
      100,
    );
    expect((await harness.send(MessageType.DISetHMAC, setHmac(), { token: started.token })).type).toBe(
      MessageType.DIDone,
    );
  });
});
