import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadConfig } from '@ztp/config';
import {
  createTestDatabase,
  DeviceEntity,
  openDataSource,
  OwnerCaStore,
  PostgresSealedKeyStore,
  TenantEntity,
  type TestDatabase,
} from '@ztp/persistence';
import { createCsr, derToPem, parseCsr, SoftwareKeyCustody } from '@ztp/pki';
import { createApp, createRootLogger, NestLoggerAdapter, runMain, startRuntime } from '@ztp/platform';
import { createSoftwareSigner } from '@ztp/protocol';
import { OwnerCertificateAuthority } from '../../certificates/owner-certificate-authority';
import { OWNER_ONBOARDING_APP } from '../../owner-onboarding.app';

/**
 * Owner onboarding alone in this process for the EST and OCSP benchmarks: its EST HTTPS listener and
 * its HTTP port, on a fresh database (DATABASE_URL when set, else an embedded PostgreSQL server) with
 * an owner CA and EST_BENCH_DEVICES devices, each holding an operational certificate. Writes each
 * device's certificate and key and the server's certificate to a temporary folder and prints one
 * JSON line `{"estUrl","httpUrl","owner","dir","devices"}` once it listens; stops on SIGTERM.
 */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

runMain(async () => {
  const devices = Number(process.env['EST_BENCH_DEVICES'] ?? '64');
  const dir = mkdtempSync(join(tmpdir(), 'ztp-est-bench-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      'server.key',
      '-out',
      'server.pem',
    ],
    { cwd: dir, stdio: 'ignore' },
  );
  let database: TestDatabase | undefined;
  const tlsPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    DATA_DIR: dir,
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
    QUEUE_PREFIX: `b${randomBytes(4).toString('hex')}`,
    REDIS_URL: process.env['REDIS_URL'],
    EST_TLS_CERT_FILE: join(dir, 'server.pem'),
    EST_TLS_KEY_FILE: join(dir, 'server.key'),
    OWNER_ONBOARDING_EST_TLS_PORT: String(tlsPort),
    // est.reenroll.proxy: the client certificate as a TLS-terminating proxy forwards it.
    EST_TRUSTED_PROXIES: '127.0.0.1',
  };
  if (process.env['DATABASE_URL']) {
    database = await createTestDatabase({ migrate: false });
    Object.assign(env, {
      DATABASE_URL: database.url,
      KEY_CUSTODY_MASTER_KEY: randomBytes(32).toString('base64'),
    });
  }
  const config = loadConfig(env);
  const logger = createRootLogger(config, 'est-bench');
  const runtime = await startRuntime(config, logger, { migrate: true });
  const dataSource = await openDataSource({ url: runtime.database.url, poolSize: 2 });
  const custody = new SoftwareKeyCustody({
    store: new PostgresSealedKeyStore(dataSource),
    masterKey: { version: 1, key: new Uint8Array(Buffer.from(config.keyCustody.masterKey, 'base64')) },
    now: () => new Date(),
  });
  const owner = await dataSource
    .getRepository(TenantEntity)
    .save({ kind: 'owner', name: 'EST bench owner', slug: 'est-bench', settings: {} });
  await new OwnerCaStore(dataSource, custody).ensure(owner.id);
  const rows: DeviceEntity[] = [];
  for (let i = 0; i < devices; i++) {
    const guid = randomBytes(16).toString('hex');
    rows.push(
      await dataSource.getRepository(DeviceEntity).save({
        manufacturerTenantId: null,
        serialNumber: `EST-${String(i).padStart(5, '0')}`,
        deviceInfo: 'est bench',
        guid,
        originalGuid: guid,
        lifecycle: 'owned',
      }),
    );
  }
  await dataSource.destroy();
  const app = await createApp(OWNER_ONBOARDING_APP, runtime, new NestLoggerAdapter(logger));
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const ca = app.get(OwnerCertificateAuthority);
  const written: { cert: string; key: string }[] = [];
  for (const [i, device] of rows.entries()) {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const certificate = await ca.issue({
      context: { ownerTenantId: owner.id, deviceId: device.id, guidHex: device.guid },
      csr: await parseCsr(
        await createCsr({ signer: createSoftwareSigner(key), subject: { commonName: 'd' } }),
      ),
      kind: 'simpleenroll',
      validityDays: 30,
    });
    writeFileSync(join(dir, `device-${i}.crt`), derToPem(certificate));
    writeFileSync(join(dir, `device-${i}.key`), key.export({ type: 'pkcs8', format: 'pem' }));
    written.push({ cert: join(dir, `device-${i}.crt`), key: join(dir, `device-${i}.key`) });
  }
  writeFileSync(join(dir, 'ca.pem'), derToPem(await ca.caCertificate(owner.id)));
  process.stdout.write(
    `${JSON.stringify({
      estUrl: `https://127.0.0.1:${tlsPort}/.well-known/est`,
      httpUrl: `http://127.0.0.1:${port}`,
      owner: owner.id,
      dir,
      devices: written,
    })}\n`,
  );
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
