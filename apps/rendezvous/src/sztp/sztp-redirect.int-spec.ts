import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig } from '@ztp/config';
import {
  createSztpFixture,
  createTestDatabase,
  openDataSource,
  PostgresSealedKeyStore,
  type SztpFixture,
  SztpOwnerEntity,
  SztpProgressEventEntity,
  type TestDatabase,
  testCertificate,
} from '@ztp/persistence';
import { SoftwareKeyCustody } from '@ztp/pki';
import { createApp, createRootLogger, NestLoggerAdapter, type Runtime, startRuntime } from '@ztp/platform';
import { sztp } from '@ztp/protocol';
import request from 'supertest';
import { type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RENDEZVOUS_APP } from '../rendezvous.app';

const GBD = '/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data';
const PROGRESS = '/restconf/operations/ietf-sztp-bootstrap-server:report-progress';
const JSON_TYPE = 'application/yang-data+json';

let database: TestDatabase;
let dataSource: DataSource;
let runtime: Runtime;
let app: NestExpressApplication;
let fixture: SztpFixture;
const dir = mkdtempSync(join(tmpdir(), 'ztp-sztp-redirect-'));

beforeAll(async () => {
  database = await createTestDatabase();
  dataSource = await openDataSource({ url: database.url });
  const masterKey = randomBytes(32).toString('base64');
  const config = loadConfig({
    DATABASE_URL: database.url,
    KEY_CUSTODY_MASTER_KEY: masterKey,
    DATA_DIR: dir,
    LOG_LEVEL: 'silent',
    SZTP_TRUSTED_PROXIES: '127.0.0.1,::1',
  });
  const custody = new SoftwareKeyCustody({
    store: new PostgresSealedKeyStore(dataSource),
    masterKey: { version: 1, key: new Uint8Array(Buffer.from(masterKey, 'base64')) },
    now: () => new Date(),
  });
  fixture = await createSztpFixture(dataSource, custody);
  const logger = createRootLogger(config, 'test');
  runtime = await startRuntime(config, logger, { migrate: false });
  app = await createApp(RENDEZVOUS_APP, runtime, new NestLoggerAdapter(logger));
});

afterAll(async () => {
  await app?.close();
  await runtime?.close();
  await dataSource?.destroy();
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
});

function post(path: string, body: string, auth: { cert?: { pem: string }; basic?: [string, string] }) {
  let req = request(app.getHttpServer()).post(path).set('Content-Type', JSON_TYPE);
  if (auth.cert) req = req.set('X-Client-Cert', encodeURIComponent(auth.cert.pem));
  if (auth.basic) req = req.auth(auth.basic[0], auth.basic[1]);
  return req.send(body);
}

describe('SZTP redirect server (rendezvous)', () => {
  it('redirects to the owner bootstrap servers with their trust anchors, signed by the owner', async () => {
    const serverCa = await testCertificate({ subject: 'CN=Owner TLS CA', ca: true });
    await dataSource.getRepository(SztpOwnerEntity).update(
      { tenantId: fixture.owner.id },
      {
        bootstrapServers: [
          {
            address: 'boot1.owner.example',
            port: 8443,
            trustAnchors: [Buffer.from(serverCa.der).toString('base64')],
          },
          { address: '192.0.2.10' },
        ],
      },
    );
    const { idevid } = await fixture.addDevice({ serialNumber: 'RDR-1' });
    const nonce = randomBytes(16);
    const res = await post(
      GBD,
      sztp.serializeGetBootstrappingDataInput({ signedDataPreferred: true, nonce }, 'json'),
      {
        cert: idevid,
      },
    );
    expect(res.status).toBe(200);
    const verified = sztp.verifyBootstrappingData(sztp.parseGetBootstrappingDataOutput(res.text, 'json'), {
      manufacturerTrust: { masaCertificate: fixture.masaCertificate.der },
      serialNumber: 'RDR-1',
      nonce,
      now: new Date(),
    });
    expect(verified.conveyed.signed).toBe(true);
    const info = verified.conveyed.info as Extract<
      sztp.ConveyedInformation,
      { kind: 'redirect-information' }
    >;
    expect(info.bootstrapServers.map((s) => [s.address, s.port])).toEqual([
      ['boot1.owner.example', 8443],
      ['192.0.2.10', 443],
    ]);
    expect(sztp.decodeCertsOnly(info.bootstrapServers[0]!.trustAnchor!)).toEqual([serverCa.der]);
    expect(info.bootstrapServers[1]!.trustAnchor).toBeUndefined();
  });

  it('gives lab devices the unsigned redirect, and takes their progress reports', async () => {
    const { device } = await fixture.addDevice({
      serialNumber: 'RDR-LAB',
      type: 'lab',
      activationCode: 'secret',
    });
    const res = await post(GBD, JSON.stringify({ 'ietf-sztp-bootstrap-server:input': { nonce: '' } }), {
      basic: ['RDR-LAB', 'secret'],
    });
    expect(res.status).toBe(200);
    expect(Object.keys(JSON.parse(res.text)['ietf-sztp-bootstrap-server:output'])).toEqual([
      'conveyed-information',
    ]);
    const output = sztp.parseGetBootstrappingDataOutput(res.text, 'json');
    const opened = sztp.openConveyedInformation(output.conveyedInformation, { allowUnsigned: true });
    expect(opened).toMatchObject({ signed: false, info: { kind: 'redirect-information' } });

    const progress = await post(
      PROGRESS,
      sztp.serializeReportProgressInput({ progressType: 'bootstrap-initiated' }, 'json'),
      { basic: ['RDR-LAB', 'secret'] },
    );
    expect(progress.status).toBe(204);
    const events = await dataSource.getRepository(SztpProgressEventEntity).findBy({ deviceId: device.id });
    expect(events.map((e) => [e.progressType, e.server])).toEqual([['bootstrap-initiated', 'redirect']]);
  });

  it('refuses (RESTCONF error) a device without owner, and an owner without bootstrap servers', async () => {
    const { idevid: orphan } = await fixture.addDevice({ serialNumber: 'RDR-ORPHAN', withVoucher: false });
    const input = sztp.serializeGetBootstrappingDataInput({ signedDataPreferred: true }, 'json');
    const noOwner = await post(GBD, input, { cert: orphan });
    expect(noOwner.status).toBe(409);
    expect(sztp.parseRestconfErrors(noOwner.text, 'json')[0]).toMatchObject({ errorTag: 'data-missing' });

    await dataSource
      .getRepository(SztpOwnerEntity)
      .update({ tenantId: fixture.owner.id }, { bootstrapServers: [] });
    const { idevid } = await fixture.addDevice({ serialNumber: 'RDR-NOWHERE' });
    const nowhere = await post(GBD, input, { cert: idevid });
    expect(nowhere.status).toBe(409);
    expect(sztp.parseRestconfErrors(nowhere.text, 'json')[0]!.errorMessage).toMatch(
      /no SZTP bootstrap servers/,
    );
  });
});
