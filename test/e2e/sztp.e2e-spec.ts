import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNER_ONBOARDING_APP } from '../../apps/owner-onboarding/src/owner-onboarding.app';
import { RENDEZVOUS_APP } from '../../apps/rendezvous/src/rendezvous.app';
import { VOUCHER_SERVICE_APP } from '../../apps/voucher-service/src/voucher-service.app';
import { ApiKeyService } from '@ztp/auth';
import { loadConfig } from '@ztp/config';
import { runDeviceSim, type SimIo } from '@ztp/device-sim';
import { nodeSztpTransport, type SztpTransport } from '@ztp/fdo-client';
import {
  createTestDatabase,
  openDataSource,
  SztpLdevidEntity,
  SztpProgressEventEntity,
  SztpVoucherEntity,
  TenantEntity,
  type TestDatabase,
  testCertificate,
  type TestCertificate,
} from '@ztp/persistence';
import { pemToDerAll, validateChain } from '@ztp/pki';
import { createApp, createRootLogger, NestLoggerAdapter, type Runtime, startRuntime } from '@ztp/platform';
import { sztp } from '@ztp/protocol';

const GBD = '/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data';
const JSON_TYPE = 'application/yang-data+json';
const IMAGE = randomBytes(64 * 1024);
const CONFIGURATION = { 'ietf-system:system': { hostname: 'edge-router-1' } };

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

describe(`SZTP end to end: simulator -> rendezvous redirect -> owner onboarding (${process.env['DATABASE_URL'] ? 'DATABASE_URL' : 'embedded PostgreSQL'})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ztp-e2e-sztp-'));
  const file = (name: string) => join(dir, name);
  let serverDatabase: TestDatabase | undefined;
  let runtime: Runtime;
  const apps: NestExpressApplication[] = [];
  let dataSource: DataSource;
  let voucherUrl: string;
  let rendezvousTls: string;
  let onboardingTls: string;
  let imageServer: Server;
  let imageUrl: string;
  const keys = { maker: '', owner: '' };
  let deviceCa: TestCertificate;
  let serverCa: TestCertificate;
  let idevid: TestCertificate;
  let masaTrustPem: string;
  let ownerCaPem: string;

  const api = async (who: keyof typeof keys, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${voucherUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${keys[who]}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as Record<string, unknown> & Record<string, never>;
    if (response.status >= 300)
      throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };

  beforeAll(async () => {
    const [voucherPort, rendezvousTlsPort, onboardingTlsPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    serverCa = await testCertificate({ subject: 'CN=SZTP servers CA', ca: true });
    const serverCert = await testCertificate({
      subject: 'CN=127.0.0.1',
      issuer: serverCa,
      ipAddresses: ['127.0.0.1'],
    });
    writeFileSync(file('server.pem'), `${serverCert.pem}\n${serverCa.pem}\n`);
    writeFileSync(file('server.key'), serverCert.keyPem);
    const env: NodeJS.ProcessEnv = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATA_DIR: dir,
      QUEUE_PREFIX: `e2esztp${randomBytes(4).toString('hex')}`,
      REDIS_URL: process.env['REDIS_URL'],
      SZTP_TLS_CERT_FILE: file('server.pem'),
      SZTP_TLS_KEY_FILE: file('server.key'),
      RENDEZVOUS_SZTP_TLS_PORT: String(rendezvousTlsPort),
      OWNER_ONBOARDING_SZTP_TLS_PORT: String(onboardingTlsPort),
    };
    if (process.env['DATABASE_URL']) {
      serverDatabase = await createTestDatabase({ migrate: false });
      Object.assign(env, {
        DATABASE_URL: serverDatabase.url,
        KEY_CUSTODY_MASTER_KEY: randomBytes(32).toString('base64'),
      });
    }
    const config = loadConfig(env);
    const logger = createRootLogger(config, 'e2e-sztp');
    runtime = await startRuntime(config, logger, { migrate: true });
    for (const descriptor of [RENDEZVOUS_APP, VOUCHER_SERVICE_APP, OWNER_ONBOARDING_APP]) {
      const app = await createApp(descriptor, runtime, new NestLoggerAdapter(logger));
      apps.push(app);
      await app.listen(descriptor === VOUCHER_SERVICE_APP ? voucherPort : 0, '127.0.0.1');
    }
    voucherUrl = `http://127.0.0.1:${voucherPort}`;
    rendezvousTls = `https://127.0.0.1:${rendezvousTlsPort}`;
    onboardingTls = `https://127.0.0.1:${onboardingTlsPort}`;
    dataSource = await openDataSource({ url: runtime.database.url, poolSize: 2 });

    imageServer = createHttpServer((req, res) => {
      if (req.url !== '/os-17.3.bin') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(IMAGE);
    });
    await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
    imageUrl = `http://127.0.0.1:${(imageServer.address() as { port: number }).port}/os-17.3.bin`;

    const apiKeys = apps[1]!.get(ApiKeyService, { strict: false });
    for (const [who, kind] of [
      ['maker', 'manufacturer'],
      ['owner', 'owner'],
    ] as const) {
      const tenant = await dataSource
        .getRepository(TenantEntity)
        .save({ kind, name: `E2E ${who}`, slug: `e2e-${who}`, settings: {} });
      keys[who] = (
        await apiKeys.create({ tenantId: tenant.id, name: 'e2e', roles: ['tenant:admin'], createdBy: 'e2e' })
      ).key;
    }

    // The manufacturer: a device type for its IDevIDs, and a MASA.
    deviceCa = await testCertificate({ subject: 'CN=E2E Device CA, O=E2E maker', ca: true });
    const type = await api('maker', 'POST', '/v1/sztp/device-types', {
      name: 'edge-router',
      trustAnchors: deviceCa.pem,
    });
    const masa = await api('maker', 'POST', '/v1/sztp/masas', { kind: 'generate', name: 'e2e-masa' });
    masaTrustPem = (masa['trustAnchors'] as string[]).join('');
    writeFileSync(file('masa-trust.pem'), masaTrustPem);

    // The owner: identity, its bootstrap server (owner onboarding's HTTPS port) and a profile.
    const owner = await api('owner', 'POST', '/v1/sztp/owner', { ldevidValidityDays: 90 });
    ownerCaPem = owner['pinnedDomainCertificate'] as string;
    await api('owner', 'PUT', '/v1/sztp/owner/bootstrap-servers', {
      bootstrapServers: [{ address: '127.0.0.1', port: onboardingTlsPort, trustAnchors: serverCa.pem }],
    });
    await api('owner', 'POST', '/v1/sztp/onboarding-profiles', {
      name: 'edge',
      isDefault: true,
      bootImage: {
        osName: 'VendorOS',
        osVersion: '17.3',
        downloadUris: [imageUrl],
        sha256: createHash('sha256').update(IMAGE).digest('hex'),
      },
      preConfigurationScript: Buffer.from('#!/bin/sh\necho pre\n').toString('base64'),
      configuration: Buffer.from(JSON.stringify(CONFIGURATION)).toString('base64'),
      configurationHandling: 'merge',
      postConfigurationScript: Buffer.from('#!/bin/sh\necho post\n').toString('base64'),
      issueLdevid: true,
    });

    // The manufacturer sells SN-E2E-1 to the owner: a voucher pinning the owner's CA.
    await api('maker', 'POST', '/v1/sztp/vouchers', {
      masaId: masa['id'],
      deviceTypeId: type['id'],
      serialNumber: 'SN-E2E-1',
      ownerTenant: 'e2e-owner',
    });
    idevid = await testCertificate({ subject: '2.5.4.5=SN-E2E-1, CN=edge-router', issuer: deviceCa });
    writeFileSync(file('idevid.pem'), `${idevid.pem}\n${deviceCa.pem}\n`);
    writeFileSync(file('idevid.key'), idevid.keyPem);
  });

  afterAll(async () => {
    await new Promise((resolve) => imageServer?.close(resolve));
    await dataSource?.destroy();
    for (const app of apps) await app.close();
    await runtime?.close();
    await serverDatabase?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('bootstraps the simulated device: redirected by rendezvous, onboarded with signed data, LDevID, progress', async () => {
    const io = bufferIo();
    const out = file('device');
    const code = await runDeviceSim(
      [
        'sztp',
        '--url',
        rendezvousTls,
        '--cert',
        file('idevid.pem'),
        '--key',
        file('idevid.key'),
        '--masa-trust',
        file('masa-trust.pem'),
        '--ldevid',
        '--out',
        out,
        '--json',
      ],
      io,
    );
    expect(io.err).toBe('');
    expect(code).toBe(0);
    const summary = JSON.parse(io.out) as {
      serialNumber: string;
      servers: { url: string; trusted: boolean; answer: string; signed: boolean }[];
      bootImage: { sha256: string };
      reported: string[];
    };
    expect(summary.serialNumber).toBe('SN-E2E-1');
    expect(summary.servers).toEqual([
      { url: rendezvousTls, trusted: false, answer: 'redirect-information', signed: true },
      { url: onboardingTls, trusted: true, answer: 'onboarding-information', signed: true },
    ]);

    // Applied into its folder, after every hash matched.
    expect(readFileSync(join(out, 'boot-image.bin')).equals(IMAGE)).toBe(true);
    expect(summary.bootImage.sha256).toBe(createHash('sha256').update(IMAGE).digest('hex'));
    expect(readFileSync(join(out, 'pre-configuration-script'), 'utf8')).toContain('echo pre');
    expect(readFileSync(join(out, 'post-configuration-script'), 'utf8')).toContain('echo post');
    const configuration = JSON.parse(readFileSync(join(out, 'configuration'), 'utf8'));
    expect(configuration['ietf-system:system']).toEqual(CONFIGURATION['ietf-system:system']);
    expect(configuration['ietf-keystore:keystore']['asymmetric-keys']['asymmetric-key']).toHaveLength(1);

    // The LDevID chains to the owner's CA (the CA vouchers pin).
    const [ldevid, ...chain] = pemToDerAll(readFileSync(join(out, 'ldevid.pem'), 'utf8'));
    const ownerCa = pemToDerAll(ownerCaPem)[0]!;
    const validated = validateChain([ldevid!, ...chain], [ownerCa], {
      at: new Date(),
      leafExtendedKeyUsage: ['1.3.6.1.5.5.7.3.2'],
    });
    expect(validated.path).toHaveLength(2);
    expect(sztp.parseCertificate(ldevid!).x509.subject).toContain('serialNumber=SN-E2E-1');
    expect(await dataSource.getRepository(SztpLdevidEntity).countBy({})).toBe(1);

    // Progress is stored as the device's bootstrapping log, and its state is complete.
    const [device] = (await api('owner', 'GET', '/v1/sztp/devices')) as unknown as {
      id: string;
      bootstrapState: string;
      sshHostKeys: unknown[];
    }[];
    expect(device!.bootstrapState).toBe('complete');
    expect(device!.sshHostKeys).toEqual([{ algorithm: 'ssh-ed25519', keyData: expect.any(String) }]);
    const progress = (await api('owner', 'GET', `/v1/sztp/devices/${device!.id}/progress`)) as unknown as {
      progressType: string;
      server: string;
    }[];
    expect(progress.map((p) => p.progressType)).toEqual(summary.reported);
    expect(progress.map((p) => p.progressType)).toEqual([
      'bootstrap-initiated',
      'parsing-initiated',
      'parsing-complete',
      'boot-image-initiated',
      'boot-image-complete',
      'pre-script-initiated',
      'pre-script-complete',
      'config-initiated',
      'config-complete',
      'post-script-initiated',
      'post-script-complete',
      'bootstrap-complete',
    ]);
    expect(new Set(progress.map((p) => p.server))).toEqual(new Set(['onboarding']));
  });

  describe('what a device receives, checked by openssl', () => {
    let transport: SztpTransport;
    beforeAll(() => {
      transport = nodeSztpTransport({
        clientCertificate: { certificatePem: idevid.pem, keyPem: idevid.keyPem },
      });
    });

    it('conveyed information verifies with openssl cms -verify against the owner chain; the voucher against the MASA', async () => {
      const response = await transport({
        url: `${onboardingTls}${GBD}`,
        method: 'POST',
        headers: { 'Content-Type': JSON_TYPE },
        body: sztp.serializeGetBootstrappingDataInput({ signedDataPreferred: true }, 'json'),
        trustAnchors: serverCa.pem,
      });
      expect(response.status).toBe(200);
      const output = sztp.parseGetBootstrappingDataOutput(response.body, 'json');
      writeFileSync(file('conveyed.der'), output.conveyedInformation);
      writeFileSync(file('voucher.der'), output.ownershipVoucher!);
      writeFileSync(file('owner-ca.pem'), ownerCaPem);
      const content = execFileSync(
        'openssl',
        [
          'cms',
          '-verify',
          '-inform',
          'DER',
          '-in',
          file('conveyed.der'),
          '-CAfile',
          file('owner-ca.pem'),
          '-binary',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const info = JSON.parse(content.toString('utf8'));
      expect(info['ietf-sztp-conveyed-info:onboarding-information']['boot-image']['download-uri']).toEqual([
        imageUrl,
      ]);
      const voucher = execFileSync(
        'openssl',
        [
          'cms',
          '-verify',
          '-inform',
          'DER',
          '-in',
          file('voucher.der'),
          '-CAfile',
          file('masa-trust.pem'),
          '-binary',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      expect(JSON.parse(voucher.toString('utf8'))['ietf-voucher:voucher']).toMatchObject({
        'serial-number': 'SN-E2E-1',
        'pinned-domain-cert': Buffer.from(pemToDerAll(ownerCaPem)[0]!).toString('base64'),
      });
      // And openssl refuses it against an unrelated CA.
      writeFileSync(file('other-ca.pem'), deviceCa.pem);
      expect(() =>
        execFileSync(
          'openssl',
          ['cms', '-verify', '-inform', 'DER', '-in', file('conveyed.der'), '-CAfile', file('other-ca.pem')],
          {
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        ),
      ).toThrow();
    });

    it('refuses malformed JSON or XML, a wrong nonce length, an unknown serial and a wrong client certificate, storing nothing', async () => {
      const stored = async () => ({
        progress: await dataSource.getRepository(SztpProgressEventEntity).count(),
        ldevids: await dataSource.getRepository(SztpLdevidEntity).count(),
        vouchers: await dataSource.getRepository(SztpVoucherEntity).count(),
      });
      const before = await stored();
      const strangerCa = await testCertificate({ subject: 'CN=E2E Device CA, O=E2E maker', ca: true });
      const stranger = await testCertificate({ subject: '2.5.4.5=SN-E2E-1', issuer: strangerCa });
      const unknown = await testCertificate({ subject: '2.5.4.5=SN-NOBODY', issuer: deviceCa });
      const as = (who: TestCertificate) =>
        nodeSztpTransport({ clientCertificate: { certificatePem: who.pem, keyPem: who.keyPem } });
      const cases: [string, SztpTransport, string, string, number, string][] = [
        [
          'malformed JSON',
          transport,
          JSON_TYPE,
          '{"ietf-sztp-bootstrap-server:input": [',
          400,
          'malformed-message',
        ],
        [
          'malformed XML',
          transport,
          'application/yang-data+xml',
          '<input xmlns="urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server">',
          400,
          'malformed-message',
        ],
        [
          'a 40-byte nonce',
          transport,
          JSON_TYPE,
          JSON.stringify({
            'ietf-sztp-bootstrap-server:input': { nonce: randomBytes(40).toString('base64') },
          }),
          400,
          'invalid-value',
        ],
        ['an unknown serial', as(unknown), JSON_TYPE, '', 403, 'access-denied'],
        ['a wrong client certificate', as(stranger), JSON_TYPE, '', 403, 'access-denied'],
      ];
      for (const server of [rendezvousTls, onboardingTls]) {
        for (const [what, send, contentType, body, status, errorTag] of cases) {
          const response = await send({
            url: `${server}${GBD}`,
            method: 'POST',
            headers: { 'Content-Type': contentType, Accept: JSON_TYPE },
            body,
            trustAnchors: serverCa.pem,
          });
          expect(response.status, `${what} at ${server}`).toBe(status);
          expect(sztp.parseRestconfErrors(response.body, 'json')[0]!.errorTag, what).toBe(errorTag);
        }
      }
      expect(await stored()).toEqual(before);
    });
  });
});
