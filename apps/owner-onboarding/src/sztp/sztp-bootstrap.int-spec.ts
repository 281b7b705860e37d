import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig } from '@ztp/config';
import {
  AuditEventEntity,
  createSztpFixture,
  createTestDatabase,
  openDataSource,
  PostgresSealedKeyStore,
  type SztpFixture,
  SztpLdevidEntity,
  SztpProgressEventEntity,
  SztpDeviceEntity,
  SztpOnboardingProfileEntity,
  WebhookDeliveryEntity,
  WebhookEndpointEntity,
  type TestDatabase,
  testCertificate,
  type TestCertificate,
} from '@ztp/persistence';
import { createCsr, SoftwareKeyCustody } from '@ztp/pki';
import { createApp, createRootLogger, NestLoggerAdapter, type Runtime, startRuntime } from '@ztp/platform';
import { createSoftwareSigner, sztp } from '@ztp/protocol';
import request from 'supertest';
import { type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNER_ONBOARDING_APP } from '../owner-onboarding.app';

const GBD = '/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data';
const PROGRESS = '/restconf/operations/ietf-sztp-bootstrap-server:report-progress';
const JSON_TYPE = 'application/yang-data+json';
const XML_TYPE = 'application/yang-data+xml';
const IMAGE_SHA256 = '6f0de7b1c9a3e1b6e0c0d1b4d6e5a8c1f2b3a4d5e6f708192a3b4c5d6e7f8091';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let database: TestDatabase;
let dataSource: DataSource;
let runtime: Runtime;
let app: NestExpressApplication;
let fixture: SztpFixture;
let tlsPort: number;
let serverCa: TestCertificate;
const dir = mkdtempSync(join(tmpdir(), 'ztp-sztp-onboarding-'));

beforeAll(async () => {
  database = await createTestDatabase();
  dataSource = await openDataSource({ url: database.url });
  const masterKey = randomBytes(32).toString('base64');
  serverCa = await testCertificate({ subject: 'CN=Bootstrap Server CA', ca: true });
  const serverCert = await testCertificate({
    subject: 'CN=127.0.0.1',
    issuer: serverCa,
    ipAddresses: ['127.0.0.1'],
  });
  writeFileSync(join(dir, 'server.pem'), `${serverCert.pem}\n${serverCa.pem}\n`);
  writeFileSync(join(dir, 'server.key'), serverCert.keyPem);
  tlsPort = await freePort();
  const config = loadConfig({
    DATABASE_URL: database.url,
    KEY_CUSTODY_MASTER_KEY: masterKey,
    DATA_DIR: dir,
    LOG_LEVEL: 'silent',
    SZTP_TRUSTED_PROXIES: '127.0.0.1,::1',
    SZTP_TLS_CERT_FILE: join(dir, 'server.pem'),
    SZTP_TLS_KEY_FILE: join(dir, 'server.key'),
    OWNER_ONBOARDING_SZTP_TLS_PORT: String(tlsPort),
  });
  const custody = new SoftwareKeyCustody({
    store: new PostgresSealedKeyStore(dataSource),
    masterKey: { version: 1, key: new Uint8Array(Buffer.from(masterKey, 'base64')) },
    now: () => new Date(),
  });
  fixture = await createSztpFixture(dataSource, custody);
  const logger = createRootLogger(config, 'test');
  runtime = await startRuntime(config, logger, { migrate: false });
  app = await createApp(OWNER_ONBOARDING_APP, runtime, new NestLoggerAdapter(logger));
});

afterAll(async () => {
  await app?.close();
  await runtime?.close();
  await dataSource?.destroy();
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
});

interface Call {
  body?: string | Buffer;
  contentType?: string;
  accept?: string;
  cert?: TestCertificate;
  basic?: [string, string];
}

function post(path: string, call: Call = {}) {
  let req = request(app.getHttpServer()).post(path);
  if (call.contentType) req = req.set('Content-Type', call.contentType);
  if (call.accept) req = req.set('Accept', call.accept);
  if (call.cert) req = req.set('X-Client-Cert', encodeURIComponent(call.cert.pem));
  if (call.basic) req = req.auth(call.basic[0], call.basic[1]);
  return req
    .buffer(true)
    .parse((res, done) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => done(null, text));
    })
    .send(call.body ?? '');
}

function gbdInput(input: sztp.GetBootstrappingDataInput, encoding: sztp.Encoding = 'json') {
  return sztp.serializeGetBootstrappingDataInput(input, encoding);
}

function restconfError(text: string, encoding: sztp.Encoding = 'json') {
  return sztp.parseRestconfErrors(text, encoding)[0]!;
}

async function counts() {
  return {
    progress: await dataSource.getRepository(SztpProgressEventEntity).count(),
    ldevids: await dataSource.getRepository(SztpLdevidEntity).count(),
    audit: await dataSource.getRepository(AuditEventEntity).count(),
  };
}

function verified(
  text: string,
  serialNumber: string,
  options: { nonce?: Uint8Array; encoding?: sztp.Encoding } = {},
) {
  const output = sztp.parseGetBootstrappingDataOutput(text, options.encoding ?? 'json');
  return sztp.verifyBootstrappingData(output, {
    manufacturerTrust: { masaCertificate: fixture.masaCertificate.der },
    serialNumber,
    now: new Date(),
    ...(options.nonce ? { nonce: options.nonce } : {}),
  });
}

describe('SZTP bootstrap server (owner onboarding)', () => {
  let router: { device: SztpDeviceEntity; idevid: TestCertificate };

  beforeAll(async () => {
    await dataSource.getRepository(WebhookEndpointEntity).save({
      tenantId: fixture.owner.id,
      url: 'https://hooks.example/sztp',
      description: null,
      eventTypes: ['device.onboarded', 'certificate.issued'],
      secretSealed: Buffer.from('sealed'),
      enabled: true,
      createdBy: 'test',
    });
    router = await fixture.addDevice({ serialNumber: 'RTR-1' });
    await fixture.addProfile({
      name: 'default',
      isDefault: true,
      bootImage: {
        osName: 'VendorOS',
        osVersion: '17.3',
        downloadUris: ['https://images.example/os-17.3.bin'],
        sha256: IMAGE_SHA256,
      },
      preConfigurationScript: Buffer.from('#!/bin/sh\necho pre\n'),
      configuration: Buffer.from('{"ietf-system:system":{"hostname":"rtr-1"}}'),
      configurationHandling: 'replace',
      postConfigurationScript: Buffer.from('#!/bin/sh\necho post\n'),
    });
  });

  it('points host-meta at the RESTCONF root (XRD, or JRD when asked for JSON)', async () => {
    const xrd = await request(app.getHttpServer()).get('/.well-known/host-meta').expect(200);
    expect(xrd.headers['content-type']).toMatch(/^application\/xrd\+xml/);
    expect(xrd.text).toContain("<Link rel='restconf' href='/restconf'/>");
    const jrd = await request(app.getHttpServer())
      .get('/.well-known/host-meta')
      .set('Accept', 'application/json');
    expect(JSON.parse(jrd.text)).toEqual({ links: [{ rel: 'restconf', href: '/restconf' }] });
  });

  it('answers signed onboarding-information that a strict device verifies (JSON)', async () => {
    const res = await post(GBD, {
      body: gbdInput({ signedDataPreferred: true }),
      contentType: JSON_TYPE,
      cert: router.idevid,
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(JSON_TYPE);
    const { conveyed, voucher } = verified(res.body, 'RTR-1');
    expect(conveyed.signed).toBe(true);
    expect(voucher!.voucher.serialNumber).toBe('RTR-1');
    expect(conveyed.info).toMatchObject({
      kind: 'onboarding-information',
      bootImage: {
        osName: 'VendorOS',
        osVersion: '17.3',
        downloadUris: ['https://images.example/os-17.3.bin'],
      },
      configurationHandling: 'replace',
    });
    const info = conveyed.info as sztp.OnboardingInformation;
    expect(Buffer.from(info.bootImage!.imageVerification![0]!.hashValue).toString('hex')).toBe(IMAGE_SHA256);
    expect(new TextDecoder().decode(info.configuration)).toBe('{"ietf-system:system":{"hostname":"rtr-1"}}');
    expect(new TextDecoder().decode(info.preConfigurationScript)).toContain('echo pre');
  });

  it('signs a changed profile afresh (signatures are reused only for the same profile version)', async () => {
    const ask = async () => {
      const res = await post(GBD, {
        body: gbdInput({ signedDataPreferred: true }),
        contentType: JSON_TYPE,
        cert: router.idevid,
      });
      const info = verified(res.body, 'RTR-1').conveyed.info as sztp.OnboardingInformation;
      return {
        config: new TextDecoder().decode(info.configuration),
        cms: sztp.parseGetBootstrappingDataOutput(res.body, 'json').conveyedInformation,
      };
    };
    const first = await ask();
    expect(Buffer.from((await ask()).cms).equals(Buffer.from(first.cms))).toBe(true);
    const profiles = dataSource.getRepository(SztpOnboardingProfileEntity);
    const profile = await profiles.findOneByOrFail({ tenantId: fixture.owner.id, name: 'default' });
    await profiles.update(
      { id: profile.id },
      { configuration: Buffer.from('{"ietf-system:system":{"hostname":"rtr-1b"}}') },
    );
    const changed = await ask();
    expect(changed.config).toBe('{"ietf-system:system":{"hostname":"rtr-1b"}}');
    await profiles.update({ id: profile.id }, { configuration: Buffer.from(first.config) });
    expect((await ask()).config).toBe(first.config);
  });

  it('speaks XML both ways, and answers the Accept encoding', async () => {
    const xml = await post(GBD, {
      body: gbdInput({ signedDataPreferred: true }, 'xml'),
      contentType: XML_TYPE,
      cert: router.idevid,
    });
    expect(xml.status).toBe(200);
    expect(xml.headers['content-type']).toBe(XML_TYPE);
    expect(verified(xml.body, 'RTR-1', { encoding: 'xml' }).conveyed.signed).toBe(true);
    const mixed = await post(GBD, {
      body: gbdInput({ signedDataPreferred: false }, 'xml'),
      contentType: 'application/yang.data+xml',
      accept: 'application/yang-data+json',
      cert: router.idevid,
    });
    expect(mixed.status).toBe(200);
    expect(mixed.headers['content-type']).toBe(JSON_TYPE);
    expect(verified(mixed.body, 'RTR-1').conveyed.signed).toBe(true);
    const plainJson = await post(GBD, {
      body: gbdInput({ signedDataPreferred: true }),
      contentType: 'application/json',
      cert: router.idevid,
    });
    expect(plainJson.status).toBe(200);
  });

  it('binds the voucher to the nonce the device sent', async () => {
    const nonce = randomBytes(20);
    const res = await post(GBD, {
      body: gbdInput({ signedDataPreferred: true, nonce }),
      contentType: JSON_TYPE,
      cert: router.idevid,
    });
    const { voucher } = verified(res.body, 'RTR-1', { nonce });
    expect(Buffer.from(voucher!.voucher.nonce!).equals(nonce)).toBe(true);
    expect(voucher!.voucher.expiresOn).toBeUndefined();
  });

  it('serves the same over the HTTPS listener with the IDevID as TLS client certificate', async () => {
    const body = gbdInput({ signedDataPreferred: true });
    const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: tlsPort,
          method: 'POST',
          path: GBD,
          ca: serverCa.pem,
          cert: router.idevid.pem,
          key: router.idevid.keyPem,
          headers: { 'Content-Type': JSON_TYPE },
          agent: false,
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(res.status).toBe(200);
    expect(verified(res.text, 'RTR-1').conveyed.signed).toBe(true);
  });

  describe('lab device types (OPI sztp-agent style)', () => {
    it('get the unsigned minimal output with Basic serial + activation code, signed when they prefer it', async () => {
      await fixture.addDevice({ serialNumber: 'LAB-1', type: 'lab', activationCode: 'my-secret' });
      const opiInput = JSON.stringify({
        'ietf-sztp-bootstrap-server:input': {
          'hw-model': 'x86',
          'os-name': 'linux',
          'os-version': '6.1',
          nonce: '',
        },
      });
      const lab = await post(GBD, { body: opiInput, contentType: JSON_TYPE, basic: ['LAB-1', 'my-secret'] });
      expect(lab.status).toBe(200);
      expect(Object.keys(JSON.parse(lab.body)['ietf-sztp-bootstrap-server:output'])).toEqual([
        'conveyed-information',
      ]);
      const output = sztp.parseGetBootstrappingDataOutput(lab.body, 'json');
      const opened = sztp.openConveyedInformation(output.conveyedInformation, { allowUnsigned: true });
      expect(opened.signed).toBe(false);
      const image = (opened.info as sztp.OnboardingInformation).bootImage!;
      expect(Object.keys(image).sort()).toEqual(['downloadUris', 'imageVerification']);

      const preferred = await post(GBD, {
        body: gbdInput({ signedDataPreferred: true }),
        contentType: JSON_TYPE,
        basic: ['LAB-1', 'my-secret'],
      });
      expect(verified(preferred.body, 'LAB-1').conveyed.signed).toBe(true);
    });
  });

  describe('RFC 9646 LDevID', () => {
    it('asks for a CSR with a 400 csr-request, then delivers an LDevID from the owner CA in a keystore entry', async () => {
      const { idevid } = await fixture.addDevice({ serialNumber: 'RTR-CSR' });
      const profile = await fixture.addProfile({
        name: 'ldevid',
        configuration: Buffer.from('{"ietf-system:system":{"hostname":"csr"}}'),
        configurationHandling: 'merge',
        issueLdevid: true,
      });
      await dataSource
        .getRepository(SztpDeviceEntity)
        .update({ serialNumber: 'RTR-CSR' }, { onboardingProfileId: profile.id });
      const p256 = sztp.encodeAlgorithmIdentifier(sztp.Oid.ecPublicKey, sztp.Oid.secp256r1);
      const before = await counts();
      const ask = await post(GBD, {
        body: gbdInput({
          signedDataPreferred: false,
          csrSupport: { keyGeneration: { supportedAlgorithms: [p256] }, supportedFormats: ['p10-csr'] },
        }),
        contentType: JSON_TYPE,
        cert: idevid,
      });
      expect(ask.status).toBe(400);
      const error = restconfError(ask.body);
      expect(error).toMatchObject({
        errorType: 'application',
        errorTag: 'missing-attribute',
        csrRequest: { selectedFormat: 'p10-csr' },
      });
      expect(Buffer.from(error.csrRequest!.keyGeneration!.selectedAlgorithm).equals(Buffer.from(p256))).toBe(
        true,
      );
      expect(await counts()).toEqual(before);

      const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const csr = await createCsr({ signer: createSoftwareSigner(key), subject: { commonName: 'RTR-CSR' } });
      const res = await post(GBD, {
        body: gbdInput({ signedDataPreferred: false, csr: { format: 'p10-csr', value: csr } }),
        contentType: JSON_TYPE,
        cert: idevid,
      });
      expect(res.status).toBe(200);
      const info = verified(res.body, 'RTR-CSR').conveyed.info as sztp.OnboardingInformation;
      const configuration = JSON.parse(new TextDecoder().decode(info.configuration));
      expect(configuration['ietf-system:system']).toEqual({ hostname: 'csr' });
      const entry = configuration['ietf-keystore:keystore']['asymmetric-keys']['asymmetric-key'][0];
      const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
      expect(Buffer.from(entry['public-key'], 'base64').equals(spki)).toBe(true);
      const bag = Buffer.from(entry.certificates.certificate[0]['cert-data'], 'base64');
      const [certificate] = sztp.decodeCertsOnly(bag);
      const ldevid = sztp.parseCertificate(certificate!);
      expect(sztp.buildCertificatePath(ldevid, [], [sztp.parseCertificate(fixture.ownerCa.der)]).length).toBe(
        2,
      );
      expect(ldevid.x509.subject).toContain('serialNumber=RTR-CSR');
      expect(
        ldevid.x509.publicKey
          .export({ type: 'spki', format: 'der' })
          .equals(Buffer.from(entry['public-key'], 'base64')),
      ).toBe(true);
      const after = await counts();
      expect(after.ldevids).toBe(before.ldevids + 1);
      expect(after.audit).toBe(before.audit + 1);
      const event = await dataSource
        .getRepository(AuditEventEntity)
        .findOneByOrFail({ eventType: 'sztp.ldevid.issued' });
      expect(event).toMatchObject({
        tenantId: fixture.owner.id,
        data: { serialNumber: 'RTR-CSR', keySpec: 'P-256' },
      });
      const hooks = await dataSource
        .getRepository(WebhookDeliveryEntity)
        .findBy({ eventType: 'certificate.issued' });
      expect(hooks.map((hook) => hook.payload['data'])).toEqual([
        expect.objectContaining({ protocol: 'sztp', kind: 'ldevid', serialNumber: 'RTR-CSR' }),
      ]);
    });

    it('refuses a CSR for a key it did not ask for (RSA where P-256 is selected), storing nothing', async () => {
      const { idevid } = await fixture.addDevice({ serialNumber: 'RTR-RSACSR' });
      const profile = await fixture.addProfile({ name: 'ldevid-rsa', issueLdevid: true });
      await dataSource
        .getRepository(SztpDeviceEntity)
        .update({ serialNumber: 'RTR-RSACSR' }, { onboardingProfileId: profile.id });
      const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      const csr = await createCsr({ signer: createSoftwareSigner(key), subject: { commonName: 'x' } });
      const before = await counts();
      const res = await post(GBD, {
        body: gbdInput({ signedDataPreferred: false, csr: { format: 'p10-csr', value: csr } }),
        contentType: JSON_TYPE,
        cert: idevid,
      });
      expect(res.status).toBe(400);
      expect(restconfError(res.body)).toMatchObject({ errorTag: 'invalid-value' });
      expect(restconfError(res.body).errorMessage).toMatch(/RSA-2048 key was not asked for/);
      expect(await counts()).toEqual(before);
    });

    it('refuses a CSR whose signature does not verify, storing nothing', async () => {
      const { idevid } = await fixture.addDevice({ serialNumber: 'RTR-BADCSR' });
      const profile = await fixture.addProfile({ name: 'ldevid-2', issueLdevid: true });
      await dataSource
        .getRepository(SztpDeviceEntity)
        .update({ serialNumber: 'RTR-BADCSR' }, { onboardingProfileId: profile.id });
      const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const csr = Buffer.from(
        await createCsr({ signer: createSoftwareSigner(key), subject: { commonName: 'x' } }),
      );
      csr[csr.length - 2]! ^= 0x01;
      const before = await counts();
      const res = await post(GBD, {
        body: gbdInput({ signedDataPreferred: false, csr: { format: 'p10-csr', value: csr } }),
        contentType: JSON_TYPE,
        cert: idevid,
      });
      expect(res.status).toBe(400);
      expect(restconfError(res.body)).toMatchObject({ errorTag: 'invalid-value' });
      expect(await counts()).toEqual(before);
    });
  });

  describe('report-progress', () => {
    it('stores every report (204) and captures SSH host keys and trust anchors on bootstrap-complete', async () => {
      const { device, idevid } = await fixture.addDevice({ serialNumber: 'RTR-P' });
      const report = (input: sztp.ReportProgressInput, encoding: sztp.Encoding = 'json') =>
        post(PROGRESS, {
          body: sztp.serializeReportProgressInput(input, encoding),
          contentType: encoding === 'json' ? JSON_TYPE : XML_TYPE,
          cert: idevid,
        });
      expect((await report({ progressType: 'bootstrap-initiated' })).status).toBe(204);
      expect((await report({ progressType: 'config-complete', message: 'applied' }, 'xml')).status).toBe(204);
      const hostKey = randomBytes(51);
      expect(
        (
          await report({
            progressType: 'bootstrap-complete',
            sshHostKeys: [{ algorithm: 'ssh-ed25519', keyData: hostKey }],
            trustAnchorCerts: [sztp.encodeCertsOnly([fixture.ownerCa.der])],
          })
        ).status,
      ).toBe(204);
      const events = await dataSource
        .getRepository(SztpProgressEventEntity)
        .find({ where: { deviceId: device.id }, order: { id: 'ASC' } });
      expect(events.map((e) => [e.progressType, e.server, e.holderTenantId])).toEqual([
        ['bootstrap-initiated', 'onboarding', fixture.owner.id],
        ['config-complete', 'onboarding', fixture.owner.id],
        ['bootstrap-complete', 'onboarding', fixture.owner.id],
      ]);
      const stored = await dataSource.getRepository(SztpDeviceEntity).findOneByOrFail({ id: device.id });
      expect(stored.bootstrapState).toBe('complete');
      const hooks = await dataSource
        .getRepository(WebhookDeliveryEntity)
        .findBy({ eventType: 'device.onboarded' });
      expect(hooks.map((hook) => hook.payload['data'])).toEqual([
        { protocol: 'sztp', deviceId: device.id, serialNumber: 'RTR-P', sshHostKeys: 1 },
      ]);
      expect(stored.sshHostKeys).toEqual([{ algorithm: 'ssh-ed25519', keyData: hostKey.toString('base64') }]);
    });
  });

  describe('refusals: a RESTCONF error, and nothing stored', () => {
    it.each([
      ['malformed JSON', GBD, '{"ietf-sztp-bootstrap-server:input": {', JSON_TYPE, 400, 'malformed-message'],
      [
        'malformed XML',
        GBD,
        '<input xmlns="urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server"><nonce>',
        XML_TYPE,
        400,
        'malformed-message',
      ],
      [
        'a nonce of 8 bytes',
        GBD,
        JSON.stringify({ 'ietf-sztp-bootstrap-server:input': { nonce: randomBytes(8).toString('base64') } }),
        JSON_TYPE,
        400,
        'invalid-value',
      ],
      [
        'an unknown member',
        GBD,
        JSON.stringify({ 'ietf-sztp-bootstrap-server:input': { color: 'red' } }),
        JSON_TYPE,
        400,
        'unknown-element',
      ],
      [
        'a progress type that does not exist',
        PROGRESS,
        JSON.stringify({ 'ietf-sztp-bootstrap-server:input': { 'progress-type': 'done' } }),
        JSON_TYPE,
        400,
        'invalid-value',
      ],
      [
        'JSON nested 20,000 levels deep (YANG media type)',
        GBD,
        `{"ietf-sztp-bootstrap-server:input":{"x":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`,
        JSON_TYPE,
        400,
        'unknown-element',
      ],
      [
        'JSON nested 20,000 levels deep (plain application/json)',
        GBD,
        `{"ietf-sztp-bootstrap-server:input":{"x":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}}`,
        'application/json',
        400,
        'malformed-message',
      ],
      [
        'plain application/json that does not parse',
        GBD,
        '{"ietf-sztp-bootstrap-server:input":',
        'application/json',
        400,
        'malformed-message',
      ],
      [
        'a body over MAX_BODY_BYTES',
        GBD,
        `{"ietf-sztp-bootstrap-server:input":{"nonce":"${'A'.repeat(1024 * 1024 + 16)}"}}`,
        JSON_TYPE,
        413,
        'too-big',
      ],
      [
        'a body that is not UTF-8',
        PROGRESS,
        Buffer.from([0xff, 0xfe, 0x00]),
        JSON_TYPE,
        400,
        'malformed-message',
      ],
      ['an unsupported media type', GBD, 'hello', 'text/plain', 415, 'invalid-value'],
      [
        'an unknown operation',
        '/restconf/operations/ietf-sztp-bootstrap-server:reboot',
        '',
        JSON_TYPE,
        404,
        'invalid-value',
      ],
    ])('%s', async (_what, path, body, contentType, status, errorTag) => {
      const before = await counts();
      const res = await post(path, { body, contentType, cert: router.idevid });
      expect(res.status).toBe(status);
      expect(restconfError(res.body, contentType === XML_TYPE ? 'xml' : 'json').errorTag).toBe(errorTag);
      expect(await counts()).toEqual(before);
    });

    it('an unknown serial number, a certificate from another CA, and no credentials at all', async () => {
      const before = await counts();
      const unknown = await testCertificate({ subject: '2.5.4.5=NOPE-1', issuer: fixture.deviceCa });
      const strangerCa = await testCertificate({ subject: 'CN=sztp Device CA', ca: true });
      const stranger = await testCertificate({ subject: '2.5.4.5=RTR-1', issuer: strangerCa });
      const body = gbdInput({ signedDataPreferred: true });
      for (const [cert, message] of [
        [unknown, /no device with serial number "NOPE-1"/],
        [stranger, /does not chain/],
      ] as const) {
        for (const path of [GBD, PROGRESS]) {
          const res = await post(path, {
            body:
              path === GBD
                ? body
                : sztp.serializeReportProgressInput({ progressType: 'informational' }, 'json'),
            contentType: JSON_TYPE,
            cert,
          });
          expect(res.status).toBe(403);
          const error = restconfError(res.body);
          expect(error).toMatchObject({ errorType: 'protocol', errorTag: 'access-denied' });
          expect(error.errorMessage).toMatch(message);
        }
      }
      const anonymous = await post(GBD, { body, contentType: JSON_TYPE });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['www-authenticate']).toMatch(/^Basic realm="sztp"/);
      const wrongCode = await post(GBD, { body, contentType: JSON_TYPE, basic: ['LAB-1', 'guess'] });
      expect(wrongCode.status).toBe(401);
      expect(await counts()).toEqual(before);
    });

    it('GET, PUT or DELETE on an operation: 405 operation-not-supported, Allow: POST (RESTCONF, never RFC 7807)', async () => {
      for (const method of ['get', 'put', 'delete'] as const) {
        const res = await request(app.getHttpServer())[method](GBD).set('Accept', JSON_TYPE);
        expect(res.status).toBe(405);
        expect(res.headers['allow']).toBe('POST');
        expect(res.headers['content-type']).toBe(JSON_TYPE);
        expect(restconfError(res.text)).toMatchObject({ errorTag: 'operation-not-supported' });
      }
      const xml = await request(app.getHttpServer()).get(PROGRESS).set('Accept', XML_TYPE);
      expect(xml.status).toBe(405);
      expect(restconfError(xml.text, 'xml').errorTag).toBe('operation-not-supported');
    });

    it('a trusted certificate with Basic credentials naming another device: 403, nothing served', async () => {
      await fixture.addDevice({ serialNumber: 'LAB-OTHER', type: 'lab', activationCode: 'other-code' });
      const before = await counts();
      const res = await post(GBD, {
        body: gbdInput({ signedDataPreferred: true }),
        contentType: JSON_TYPE,
        cert: router.idevid,
        basic: ['LAB-OTHER', 'other-code'],
      });
      expect(res.status).toBe(403);
      expect(restconfError(res.body)).toMatchObject({ errorTag: 'access-denied' });
      expect(restconfError(res.body).errorMessage).toMatch(/certificate is for serial number "RTR-1"/);
      expect(await counts()).toEqual(before);
    });

    it('ten wrong activation codes lock the serial number: 429 with Retry-After, the right code refused too', async () => {
      await fixture.addDevice({ serialNumber: 'LAB-GUESSED', type: 'lab', activationCode: 'right-code' });
      const body = gbdInput({ signedDataPreferred: false });
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) {
        statuses.push(
          (await post(GBD, { body, contentType: JSON_TYPE, basic: ['LAB-GUESSED', `guess-${i}`] })).status,
        );
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 401, 429]);
      const right = await post(GBD, { body, contentType: JSON_TYPE, basic: ['LAB-GUESSED', 'right-code'] });
      expect(right.status).toBe(429);
      expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
      expect(restconfError(right.body).errorMessage).toMatch(
        /too many wrong activation codes for this serial number/,
      );
    });

    it('a device nobody holds a voucher for', async () => {
      const { idevid } = await fixture.addDevice({ serialNumber: 'RTR-ORPHAN', withVoucher: false });
      const res = await post(GBD, {
        body: gbdInput({ signedDataPreferred: true }),
        contentType: JSON_TYPE,
        cert: idevid,
      });
      expect(res.status).toBe(409);
      expect(restconfError(res.body).errorTag).toBe('data-missing');
    });
  });
});
