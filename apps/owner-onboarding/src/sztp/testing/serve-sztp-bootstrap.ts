import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@ztp/config';
import {
  createSztpFixture,
  createTestDatabase,
  openDataSource,
  PostgresSealedKeyStore,
  type TestDatabase,
  testCertificate,
} from '@ztp/persistence';
import { SoftwareKeyCustody } from '@ztp/pki';
import { createApp, createRootLogger, NestLoggerAdapter, runMain, startRuntime } from '@ztp/platform';
import { OWNER_ONBOARDING_APP } from '../../owner-onboarding.app';

/**
 * Owner onboarding alone in this process for the benchmark, as a device meets it: its SZTP HTTPS
 * listener, on a fresh database (DATABASE_URL when set, else an embedded PostgreSQL server) seeded with an
 * owner, a MASA and DEVICES devices holding vouchers, and a default onboarding profile. Writes the
 * devices' IDevIDs and the trust anchors to a temporary folder and prints one JSON line
 * `{"url","dir","devices"}` once it listens; stops on SIGTERM. A child process, so the server has
 * its own core and event loop.
 */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

runMain(async () => {
  const devices = Number(process.env['SZTP_BENCH_DEVICES'] ?? '16');
  const dir = mkdtempSync(join(tmpdir(), 'ztp-sztp-bench-'));
  let database: TestDatabase | undefined;
  const serverCa = await testCertificate({ subject: 'CN=Bench server CA', ca: true });
  const serverCert = await testCertificate({
    subject: 'CN=127.0.0.1',
    issuer: serverCa,
    ipAddresses: ['127.0.0.1'],
  });
  writeFileSync(join(dir, 'server.pem'), `${serverCert.pem}\n${serverCa.pem}\n`);
  writeFileSync(join(dir, 'server.key'), serverCert.keyPem);
  writeFileSync(join(dir, 'server-ca.pem'), serverCa.pem);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    DATA_DIR: dir,
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
    QUEUE_PREFIX: `b${randomBytes(4).toString('hex')}`,
    REDIS_URL: process.env['REDIS_URL'],
    SZTP_TLS_CERT_FILE: join(dir, 'server.pem'),
    SZTP_TLS_KEY_FILE: join(dir, 'server.key'),
    OWNER_ONBOARDING_SZTP_TLS_PORT: String(port),
  };
  if (process.env['DATABASE_URL']) {
    database = await createTestDatabase({ migrate: false });
    Object.assign(env, {
      DATABASE_URL: database.url,
      KEY_CUSTODY_MASTER_KEY: randomBytes(32).toString('base64'),
    });
  }
  const config = loadConfig(env);
  const logger = createRootLogger(config, 'sztp-bench');
  const runtime = await startRuntime(config, logger, { migrate: true });
  const dataSource = await openDataSource({ url: runtime.database.url, poolSize: 2 });
  const custody = new SoftwareKeyCustody({
    store: new PostgresSealedKeyStore(dataSource),
    masterKey: { version: 1, key: new Uint8Array(Buffer.from(config.keyCustody.masterKey, 'base64')) },
    now: () => new Date(),
  });
  const fixture = await createSztpFixture(dataSource, custody, { slug: 'bench' });
  await fixture.addProfile({
    name: 'bench',
    isDefault: true,
    bootImage: {
      osName: 'VendorOS',
      osVersion: '17.3',
      downloadUris: ['https://images.example.com/vendor-os-17.3.bin'],
      sha256: 'ab'.repeat(32),
    },
    preConfigurationScript: Buffer.from('#!/bin/sh\necho pre-configuration\n'),
    configuration: Buffer.from(
      JSON.stringify({ 'ietf-system:system': { hostname: 'bench', contact: 'x'.repeat(1500) } }),
    ),
    configurationHandling: 'merge',
    postConfigurationScript: Buffer.from('#!/bin/sh\necho post-configuration\n'),
  });
  const written: { serialNumber: string; cert: string; key: string }[] = [];
  for (let i = 0; i < devices; i++) {
    const serialNumber = `BENCH-${String(i).padStart(5, '0')}`;
    const { idevid } = await fixture.addDevice({ serialNumber });
    writeFileSync(join(dir, `${serialNumber}.pem`), idevid.pem);
    writeFileSync(join(dir, `${serialNumber}.key`), idevid.keyPem);
    written.push({
      serialNumber,
      cert: join(dir, `${serialNumber}.pem`),
      key: join(dir, `${serialNumber}.key`),
    });
  }
  writeFileSync(join(dir, 'masa.pem'), fixture.masaCertificate.pem);
  await dataSource.destroy();
  const app = await createApp(OWNER_ONBOARDING_APP, runtime, new NestLoggerAdapter(logger));
  process.stdout.write(`${JSON.stringify({ url: `https://127.0.0.1:${port}`, dir, devices: written })}\n`);
  process.once('SIGTERM', () => {
    void (async () => {
      await app.close();
      await runtime.close();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    })();
  });
});
