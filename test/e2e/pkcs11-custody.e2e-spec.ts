import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type INestApplicationContext } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import pkcs11, { type Handle } from 'pkcs11js';
import { type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyService } from '@ztp/auth';
import { loadConfig } from '@ztp/config';
import { runDeviceSim, type SimIo } from '@ztp/device-sim';
import {
  FdoHttpSession,
  OPERATIONAL_FILES,
  readDeviceCredentialFile,
  runDeviceInitialize,
  writeDeviceCredentialFile,
} from '@ztp/fdo-client';
import { createTestDatabase, openDataSource, type TestDatabase, testCertificate } from '@ztp/persistence';
import { createSoftHsmToken, type KeySpec, pemToDerAll, SOFTHSM2_MODULE, type TestToken } from '@ztp/pki';
import {
  createApp,
  createRootLogger,
  createWorkerContext,
  NestLoggerAdapter,
  type Runtime,
  startRuntime,
} from '@ztp/platform';
import { KexSuite } from '@ztp/protocol';
import { JobQueues, requestTo0Registration } from '@ztp/queue';
import { runOnboardCommand } from '../../apps/device-sim/src/commands/onboard';
import { OWNER_ONBOARDING_APP } from '../../apps/owner-onboarding/src/owner-onboarding.app';
import { RENDEZVOUS_APP } from '../../apps/rendezvous/src/rendezvous.app';
import { AssignmentRuleService } from '../../apps/voucher-service/src/assignment/assignment-rule.service';
import { InitializeManufacturerPki } from '../../apps/voucher-service/src/manufacturing/pki/initialize-manufacturer-pki.use-case';
import { CreateStation } from '../../apps/voucher-service/src/manufacturing/stations/create-station.use-case';
import { OwnerKeyService } from '../../apps/voucher-service/src/owner-keys/owner-key.service';
import { TenantService } from '../../apps/voucher-service/src/tenants/tenant.service';
import { VOUCHER_SERVICE_APP } from '../../apps/voucher-service/src/voucher-service.app';
import { WORKER_MODULE } from '../../apps/worker/src/worker.module';

/**
 * The onboarding with KEY_CUSTODY=pkcs11 and a SoftHSM2 token this test creates: the manufacturer's
 * CAs and voucher-signing key, the owner keys (TO0 and TO2 sign with them), the owner CA issuing
 * operational certificates and LDevIDs, and the SZTP MASA and owner signing keys are all made in the
 * token. Afterwards the token is asked for each private key's value (refused: sensitive, not
 * extractable) and every text and binary column of every table is searched for private key material.
 */

const softHsmMissing = !existsSync(SOFTHSM2_MODULE) && process.env['CI'] !== 'true';
const APPLICATION = 'ztp-key-custody';
/** Key classes that must be in the token (purposes before the `:`), and the one that stays in software. */
const LONG_LIVED = [
  'manufacturer-root-ca',
  'manufacturer-intermediate-ca',
  'manufacturer-voucher',
  'owner',
  'owner-ca',
  'sztp-masa-ca',
  'sztp-masa',
  'sztp-owner',
];

/**
 * Byte patterns that begin or sit near the start of every DER private key this system could hold:
 * PKCS#8 PrivateKeyInfo for EC and RSA, SEC1 ECPrivateKey (P-256, P-384) and PKCS#1 RSAPrivateKey
 * (2048, 3072). None of them occurs in a certificate, a public key or a signature.
 */
const PRIVATE_KEY_DER = {
  'PKCS#8 EC': '020100301306072a8648ce3d0201',
  'PKCS#8 RSA': '020100300d06092a864886f70d0101010500',
  'SEC1 P-256': '0201010420',
  'SEC1 P-384': '0201010430',
  'PKCS#1 RSA-2048': '0201000282010100',
  'PKCS#1 RSA-3072': '0201000282018100',
};
/** The same in text (base64 of PKCS#8 as stored by a careless PEM-less writer) and PEM or JWK private keys. */
const PRIVATE_KEY_TEXT = [
  'PRIVATE KEY-----',
  'MIGHAgEAMBMGByqGSM49AgEG',
  'MIG2AgEAMBAGByqGSM49AgEG',
  'MIIEvgIBADANBgkqhkiG9w0BAQEFAASC',
  'MIIG/gIBADANBgkqhkiG9w0BAQEFAASC',
  '"d":"',
  '"d": "',
];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const silentIo: SimIo = { stdout: () => undefined, stderr: () => undefined, interactive: false };

describe.skipIf(softHsmMissing)(
  `Onboarding with every long-lived key in SoftHSM2 (KEY_CUSTODY=pkcs11, ${process.env['DATABASE_URL'] ? 'DATABASE_URL' : 'embedded PostgreSQL'})${softHsmMissing ? ` (skipped: ${SOFTHSM2_MODULE} missing; apt-get install softhsm2)` : ''}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'ztp-e2e-pkcs11-'));
    const file = (name: string) => join(dir, name);
    let token: TestToken;
    let serverDatabase: TestDatabase | undefined;
    let runtime: Runtime;
    const apps: NestExpressApplication[] = [];
    let worker: INestApplicationContext;
    let dataSource: DataSource;
    let queues: JobQueues;
    const urls = {
      rendezvous: '',
      voucherService: '',
      ownerOnboarding: '',
      sztpRendezvous: '',
      sztpOwner: '',
    };
    /** The token as its operator sees it: a second handle on the module, for attribute probes. */
    let raw: pkcs11.PKCS11;

    beforeAll(async () => {
      // Before any C_Initialize in this process: the module reads SOFTHSM2_CONF and the tokens then.
      token = createSoftHsmToken('ztp-e2e');
      writeFileSync(file('pin'), `${token.pin}\n`, { mode: 0o600 });
      const [rv, vs, oo, rvTls, ooTls] = await Promise.all([1, 2, 3, 4, 5].map(() => freePort()));
      urls.rendezvous = `http://127.0.0.1:${rv}`;
      urls.voucherService = `http://127.0.0.1:${vs}`;
      urls.ownerOnboarding = `http://127.0.0.1:${oo}`;
      urls.sztpRendezvous = `https://127.0.0.1:${rvTls}`;
      urls.sztpOwner = `https://127.0.0.1:${ooTls}`;
      const serverCa = await testCertificate({ subject: 'CN=SZTP servers CA', ca: true });
      const serverCert = await testCertificate({
        subject: 'CN=127.0.0.1',
        issuer: serverCa,
        ipAddresses: ['127.0.0.1'],
      });
      writeFileSync(file('server.pem'), `${serverCert.pem}\n${serverCa.pem}\n`);
      writeFileSync(file('server.key'), serverCert.keyPem);
      writeFileSync(file('server-ca.pem'), serverCa.pem);
      const env: NodeJS.ProcessEnv = {
        DATA_DIR: dir,
        LOG_LEVEL: 'error',
        DEMO_SEED: 'off',
        RENDEZVOUS_DEFAULT_POLICY: 'open',
        TO0_SCAN_INTERVAL_SECONDS: '1',
        RENDEZVOUS_PORT: String(rv),
        VOUCHER_SERVICE_PORT: String(vs),
        OWNER_ONBOARDING_PORT: String(oo),
        RENDEZVOUS_SZTP_TLS_PORT: String(rvTls),
        OWNER_ONBOARDING_SZTP_TLS_PORT: String(ooTls),
        SZTP_TLS_CERT_FILE: file('server.pem'),
        SZTP_TLS_KEY_FILE: file('server.key'),
        QUEUE_PREFIX: `e2epkcs11${randomBytes(4).toString('hex')}`,
        REDIS_URL: process.env['REDIS_URL'],
        KEY_CUSTODY: 'pkcs11',
        KEY_CUSTODY_PKCS11_MODULE: token.modulePath,
        KEY_CUSTODY_PKCS11_TOKEN_LABEL: token.label,
        KEY_CUSTODY_PKCS11_PIN_FILE: file('pin'),
      };
      if (process.env['DATABASE_URL']) {
        serverDatabase = await createTestDatabase({ migrate: false });
        env['DATABASE_URL'] = serverDatabase.url;
        env['KEY_CUSTODY_MASTER_KEY'] = randomBytes(32).toString('base64');
      }
      const config = loadConfig(env);
      const logger = createRootLogger(config, 'e2e-pkcs11');
      runtime = await startRuntime(config, logger, { migrate: true });
      for (const [descriptor, port] of [
        [RENDEZVOUS_APP, rv],
        [VOUCHER_SERVICE_APP, vs],
        [OWNER_ONBOARDING_APP, oo],
      ] as const) {
        const app = await createApp(descriptor, runtime, new NestLoggerAdapter(logger));
        await app.listen(port, '127.0.0.1');
        apps.push(app);
      }
      worker = await createWorkerContext(runtime, WORKER_MODULE, new NestLoggerAdapter(logger));
      dataSource = await openDataSource({ url: runtime.database.url, poolSize: 2 });
      queues = apps[1]!.get(JobQueues, { strict: false });

      raw = new pkcs11.PKCS11();
      raw.load(token.modulePath);
      try {
        raw.C_Initialize({ flags: pkcs11.CKF_OS_LOCKING_OK });
      } catch (error) {
        // The apps' custody initialized the module in this process already.
        if (!(error instanceof pkcs11.Pkcs11Error && error.code === pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED))
          throw error;
      }
    });

    afterAll(async () => {
      await worker?.close();
      for (const app of apps) await app.close();
      await dataSource?.destroy();
      await runtime?.close();
      await serverDatabase?.drop();
      token?.remove();
      rmSync(dir, { recursive: true, force: true });
    });

    async function until<T>(
      what: string,
      probe: () => Promise<T | undefined>,
      timeoutMs = 20_000,
    ): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    async function rest(
      key: string,
      method: string,
      path: string,
      body?: unknown,
      type = 'application/json',
    ) {
      const response = await fetch(`${urls.voucherService}${path}`, {
        method,
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': type },
        body: body === undefined ? undefined : body instanceof Uint8Array ? body : JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return text ? (JSON.parse(text) as Record<string, unknown>) : {};
    }

    /** Manufacturer (PKI of `spec`, keyed station, rule to the owner) and owner (owner key of `spec`, plan). */
    async function fdoPair(spec: KeySpec) {
      const actor = 'system:e2e';
      const slug = spec.toLowerCase();
      const tenants = apps[1]!.get(TenantService);
      const manufacturer = await tenants.create(
        {
          kind: 'manufacturer',
          name: `HSM maker ${spec}`,
          slug: `hsm-maker-${slug}`,
          settings: {
            rendezvous: [{ ip: '127.0.0.1', port: Number(new URL(urls.rendezvous).port), protocol: 'http' }],
          },
        },
        actor,
      );
      const owner = await tenants.create(
        {
          kind: 'owner',
          name: `HSM owner ${spec}`,
          slug: `hsm-owner-${slug}`,
          settings: {
            autoAcceptTransfersFrom: [manufacturer.id],
            ownerOnboarding: [
              { ip: '127.0.0.1', port: Number(new URL(urls.ownerOnboarding).port), protocol: 'http' },
            ],
          },
        },
        actor,
      );
      await apps[1]!
        .get(InitializeManufacturerPki)
        .execute({ tenantId: manufacturer.id, actor, voucherKeySpec: spec });
      const station = await apps[1]!.get(CreateStation).execute({
        tenantId: manufacturer.id,
        actor,
        name: `station-${slug}`,
        apiKey: true,
      });
      await apps[1]!.get(OwnerKeyService).create(owner.id, { name: `key-${slug}`, spec }, actor);
      await apps[1]!
        .get(AssignmentRuleService)
        .create(
          manufacturer.id,
          { name: `all to ${owner.slug}`, targetTenant: owner.id, priority: 100, enabled: true },
          actor,
        );
      const ownerAdmin = await apps[1]!
        .get(ApiKeyService)
        .create({ tenantId: owner.id, name: 'admin', roles: ['tenant:admin'], createdBy: actor });
      await rest(ownerAdmin.key, 'POST', '/v1/onboarding/plans', {
        name: 'certificate',
        selector: { kind: 'device-info', pattern: '*' },
        content: { certificate: { validityDays: 30 } },
      });
      const deviceKey: KeyObject =
        spec === 'RSA-2048'
          ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
          : generateKeyPairSync('ec', { namedCurve: spec }).privateKey;
      return { spec, ownerId: owner.id, stationKey: station.apiKey!, deviceKey };
    }

    // RSA-2048 onboards with DHKEXid14: SoftHSM2 2.6 has no RSA-OAEP-SHA-256 for ASYMKEX2048.
    for (const [spec, kex] of [
      ['P-256', KexSuite.ECDH256],
      ['RSA-2048', KexSuite.DHKEXid14],
    ] as const) {
      it(`FDO: DI, TO0, TO1 and TO2 with a ${spec} owner key in the token; the owner CA in the token issues the operational certificate`, async () => {
        const pair = await fdoPair(spec);
        const folder = mkdtempSync(join(dir, 'device-'));
        const credentialFile = join(folder, 'credential.json');
        const credential = await runDeviceInitialize({
          session: new FdoHttpSession({
            baseUrl: urls.voucherService,
            headers: { 'x-station-key': pair.stationKey },
          }),
          serialNumber: `SN-${randomBytes(4).toString('hex')}`,
          deviceInfo: `hsm-${spec}`,
          privateKey: pair.deviceKey,
          kexSuite: kex,
          cipherSuite: 'A128GCM',
        });
        writeDeviceCredentialFile(credentialFile, credential);
        const voucherId = await until('the owner to hold the voucher', async () => {
          const rows: { id: string }[] = await dataSource.query(
            `SELECT id FROM voucher WHERE guid = $1 AND status = 'active' AND holder_tenant_id = $2`,
            [credential.guid, pair.ownerId],
          );
          return rows[0]?.id;
        });
        // TO0: the worker signs the registration with the owner key (in the token).
        await requestTo0Registration(queues, voucherId);
        await until('TO0 registration', async () => {
          const rows: unknown[] = await dataSource.query(
            `SELECT 1 FROM to0_state WHERE voucher_id = $1 AND status = 'registered'`,
            [voucherId],
          );
          return rows[0];
        });
        const { to2 } = await runOnboardCommand(
          { credential: credentialFile, folder, kex, cipher: 'A128GCM', json: true },
          { io: silentIo },
        );
        expect(to2?.credentialReused).toBe(false);
        expect(readDeviceCredentialFile(credentialFile).guid).not.toBe(credential.guid);
        const rows: { certificate: Buffer; custody_key_id: string }[] = await dataSource.query(
          `SELECT certificate, custody_key_id FROM owner_ca WHERE owner_tenant_id = $1`,
          [pair.ownerId],
        );
        const ca = new X509Certificate(rows[0]!.certificate);
        const operational = new X509Certificate(readFileSync(join(folder, OPERATIONAL_FILES.certificate)));
        expect(operational.checkIssued(ca) && operational.verify(ca.publicKey)).toBe(true);
        expect(tokenKeys().get(rows[0]!.custody_key_id)).toMatch(/^owner-ca:/);
      });
    }

    it('SZTP: MASA voucher, redirect and onboarding information signed in the token; the LDevID issued there', async () => {
      const tenants = await Promise.all(
        (['manufacturer', 'owner'] as const).map((kind) =>
          apps[1]!
            .get(TenantService)
            .create({ kind, name: `SZTP ${kind}`, slug: `sztp-${kind}`, settings: {} }, 'system:e2e'),
        ),
      );
      const [maker, owner] = await Promise.all(
        tenants.map(
          async (tenant) =>
            (
              await apps[1]!
                .get(ApiKeyService)
                .create({ tenantId: tenant.id, name: 'e2e', roles: ['tenant:admin'], createdBy: 'e2e' })
            ).key,
        ),
      );
      const deviceCa = await testCertificate({ subject: 'CN=HSM Device CA', ca: true });
      const type = await rest(maker!, 'POST', '/v1/sztp/device-types', {
        name: 'router',
        trustAnchors: deviceCa.pem,
      });
      const masa = await rest(maker!, 'POST', '/v1/sztp/masas', { kind: 'generate', name: 'hsm-masa' });
      writeFileSync(file('masa-trust.pem'), (masa['trustAnchors'] as string[]).join(''));
      const ownerIdentity = await rest(owner!, 'POST', '/v1/sztp/owner', { ldevidValidityDays: 90 });
      writeFileSync(file('owner-ca.pem'), ownerIdentity['pinnedDomainCertificate'] as string);
      await rest(owner!, 'PUT', '/v1/sztp/owner/bootstrap-servers', {
        bootstrapServers: [
          {
            address: '127.0.0.1',
            port: Number(new URL(urls.sztpOwner).port),
            trustAnchors: readFileSync(file('server-ca.pem'), 'utf8'),
          },
        ],
      });
      await rest(owner!, 'POST', '/v1/sztp/onboarding-profiles', {
        name: 'edge',
        isDefault: true,
        configuration: Buffer.from('{"ietf-system:system":{"hostname":"hsm-1"}}').toString('base64'),
        configurationHandling: 'merge',
        issueLdevid: true,
      });
      await rest(maker!, 'POST', '/v1/sztp/vouchers', {
        masaId: masa['id'],
        deviceTypeId: type['id'],
        serialNumber: 'SN-HSM-1',
        ownerTenant: 'sztp-owner',
      });
      const idevid = await testCertificate({ subject: '2.5.4.5=SN-HSM-1, CN=router', issuer: deviceCa });
      writeFileSync(file('idevid.pem'), `${idevid.pem}\n${deviceCa.pem}\n`);
      writeFileSync(file('idevid.key'), idevid.keyPem);

      const io = { out: '', err: '', interactive: false } as SimIo & { out: string; err: string };
      io.stdout = (text) => void (io.out += text);
      io.stderr = (text) => void (io.err += text);
      const out = file('sztp-device');
      const code = await runDeviceSim(
        [
          'sztp',
          '--url',
          urls.sztpRendezvous,
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
      const summary = JSON.parse(io.out) as { servers: { answer: string; signed: boolean }[] };
      expect(summary.servers.map((s) => [s.answer, s.signed])).toEqual([
        ['redirect-information', true],
        ['onboarding-information', true],
      ]);
      // openssl checks the LDevID the owner CA (in the token) signed against that CA.
      expect(pemToDerAll(readFileSync(join(out, 'ldevid.pem'), 'utf8')).length).toBeGreaterThan(0);
      const verified = execFileSync(
        'openssl',
        ['verify', '-CAfile', file('owner-ca.pem'), '-purpose', 'sslclient', join(out, 'ldevid.pem')],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ).toString();
      expect(verified).toMatch(/OK/);
    });

    /** Every custody key in the token: id -> purpose, from its metadata object. */
    function tokenKeys(): Map<string, string> {
      const session = openTokenSession();
      try {
        raw.C_FindObjectsInit(session, [
          { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_DATA },
          { type: pkcs11.CKA_APPLICATION, value: APPLICATION },
        ]);
        const objects = raw.C_FindObjects(session, 10_000);
        raw.C_FindObjectsFinal(session);
        const keys = new Map<string, string>();
        for (const object of objects) {
          const [label, value] = raw.C_GetAttributeValue(session, object, [
            { type: pkcs11.CKA_LABEL },
            { type: pkcs11.CKA_VALUE },
          ]);
          const metadata = JSON.parse((value!.value as Buffer).toString('utf8')) as { purpose: string };
          keys.set((label!.value as Buffer).toString('utf8'), metadata.purpose);
        }
        return keys;
      } finally {
        raw.C_CloseSession(session);
      }
    }

    function openTokenSession(): Handle {
      const slot = raw.C_GetSlotList(true).find((s) => raw.C_GetTokenInfo(s).label.trim() === token.label);
      if (!slot) throw new Error('test token not found');
      const session = raw.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION);
      try {
        raw.C_Login(session, pkcs11.CKU_USER, token.pin);
      } catch (error) {
        // The apps' sessions logged this process in already (login is per application).
        if (!(error instanceof pkcs11.Pkcs11Error && error.code === pkcs11.CKR_USER_ALREADY_LOGGED_IN))
          throw error;
      }
      return session;
    }

    it('keeps every long-lived key in the token: sensitive, not extractable, CKA_VALUE refused; Owner2Keys in software', async () => {
      const keys = tokenKeys();
      const classes = new Set([...keys.values()].map((purpose) => purpose.split(':')[0]));
      expect([...classes].sort()).toEqual([...LONG_LIVED].sort());

      // Every custody key id the database refers to (owner keys, owner CAs, manufacturer PKI, DI
      // sessions, SZTP MASAs and owners) is a token key, or an Owner2Key sealed in software.
      const sealed = new Map<string, string>(
        (
          (await dataSource.query(`SELECT key_id, purpose FROM sealed_key`)) as {
            key_id: string;
            purpose: string;
          }[]
        ).map((row) => [row.key_id, row.purpose]),
      );
      const keyColumns: { table: string; column: string }[] = await dataSource.query(`
        SELECT table_name AS table, column_name AS column FROM information_schema.columns
        WHERE table_schema = 'public' AND data_type = 'text' AND table_name <> 'sealed_key'
          AND column_name IN ('custody_key_id', 'ca_key_id', 'root_ca_key_id', 'intermediate_ca_key_id',
                              'signing_key_id', 'voucher_key_id')`);
      expect(keyColumns.length).toBeGreaterThanOrEqual(6);
      const inToken = new Set<string>();
      for (const { table, column } of keyColumns) {
        const rows: { id: string }[] = await dataSource.query(
          `SELECT DISTINCT "${column}" AS id FROM "${table}" WHERE "${column}" IS NOT NULL`,
        );
        for (const { id } of rows) {
          if (keys.has(id)) inToken.add(id);
          else expect(sealed.get(id), `${table}.${column} ${id}`).toMatch(/^owner2:/);
        }
      }
      expect(inToken.size).toBeGreaterThanOrEqual(12);
      // The two FDO onboardings each left one Owner2Key (the replacement voucher's), sealed in software.
      expect(sealed.size).toBeGreaterThanOrEqual(2);
      for (const [keyId, purpose] of sealed) {
        expect(purpose, keyId).toMatch(/^owner2:/);
        expect(keys.has(keyId)).toBe(false);
      }

      const session = openTokenSession();
      try {
        raw.C_FindObjectsInit(session, [{ type: pkcs11.CKA_CLASS, value: pkcs11.CKO_PRIVATE_KEY }]);
        const privateKeys = raw.C_FindObjects(session, 10_000);
        raw.C_FindObjectsFinal(session);
        expect(privateKeys).toHaveLength(keys.size);
        for (const key of privateKeys) {
          const [label, keyType, sensitive, extractable, neverExtractable] = raw.C_GetAttributeValue(
            session,
            key,
            [
              { type: pkcs11.CKA_LABEL },
              { type: pkcs11.CKA_KEY_TYPE },
              { type: pkcs11.CKA_SENSITIVE },
              { type: pkcs11.CKA_EXTRACTABLE },
              { type: pkcs11.CKA_NEVER_EXTRACTABLE },
            ],
          );
          const name = (label!.value as Buffer).toString('utf8');
          expect(keys.has(name), name).toBe(true);
          expect(
            [sensitive, extractable, neverExtractable].map((a) => (a!.value as Buffer)[0]),
            name,
          ).toEqual([1, 0, 1]);
          const rsa = (keyType!.value as Buffer).readUInt32LE(0) === pkcs11.CKK_RSA;
          for (const secret of rsa
            ? [pkcs11.CKA_PRIVATE_EXPONENT, pkcs11.CKA_PRIME_1, pkcs11.CKA_PRIME_2]
            : [pkcs11.CKA_VALUE]) {
            let refused: unknown;
            try {
              raw.C_GetAttributeValue(session, key, [{ type: secret }]);
            } catch (error) {
              refused = error;
            }
            expect(refused, `${name} attribute ${secret}`).toBeInstanceOf(pkcs11.Pkcs11Error);
            expect((refused as pkcs11.Pkcs11Error).code).toBe(pkcs11.CKR_ATTRIBUTE_SENSITIVE);
          }
        }
        // Nor can the token wrap them out: CKA_EXTRACTABLE false refuses C_WrapKey.
        const wrapping = raw.C_GenerateKey(session, { mechanism: pkcs11.CKM_AES_KEY_GEN }, [
          { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_SECRET_KEY },
          { type: pkcs11.CKA_KEY_TYPE, value: pkcs11.CKK_AES },
          { type: pkcs11.CKA_VALUE_LEN, value: 32 },
          { type: pkcs11.CKA_WRAP, value: true },
          { type: pkcs11.CKA_TOKEN, value: false },
        ]);
        let wrapRefused: unknown;
        try {
          raw.C_WrapKey(
            session,
            { mechanism: pkcs11.CKM_AES_KEY_WRAP_PAD },
            wrapping,
            privateKeys[0]!,
            Buffer.alloc(8192),
          );
        } catch (error) {
          wrapRefused = error;
        }
        expect((wrapRefused as pkcs11.Pkcs11Error).code).toBe(pkcs11.CKR_KEY_UNEXTRACTABLE);
      } finally {
        raw.C_CloseSession(session);
      }
    });

    /** Every text, JSON and binary cell of every table searched for the private-key patterns. */
    async function privateKeysInDatabase(): Promise<{ found: string[]; tables: number; cells: number }> {
      const columns: { schema: string; table: string; column: string; type: string }[] =
        await dataSource.query(`
          SELECT c.table_schema AS schema, c.table_name AS table, c.column_name AS column, c.data_type AS type
          FROM information_schema.columns c
          JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
          WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
            AND c.data_type IN ('bytea', 'text', 'character varying', 'json', 'jsonb', 'ARRAY')`);
      const binary = [
        ...Object.entries(PRIVATE_KEY_DER).map(([what, hex]) => [what, Buffer.from(hex, 'hex')] as const),
        // Text inside binary columns too (a PEM stored as bytes).
        ...PRIVATE_KEY_TEXT.map((text) => [text, Buffer.from(text)] as const),
      ];
      let cells = 0;
      const found: string[] = [];
      for (const { schema, table, column, type } of columns) {
        const from = `"${schema}"."${table}"`;
        const [{ count }] = (await dataSource.query(
          `SELECT count(*)::int AS count FROM ${from} WHERE "${column}" IS NOT NULL`,
        )) as [{ count: number }];
        cells += count;
        if (count === 0) continue;
        const tests =
          type === 'bytea'
            ? binary.map(([what, bytes]) => ({
                what,
                sql: `position($1::bytea in "${column}") > 0`,
                value: bytes,
              }))
            : PRIVATE_KEY_TEXT.map((text) => ({
                what: text,
                sql: `strpos("${column}"::text, $1) > 0`,
                value: text,
              }));
        for (const { what, sql, value } of tests) {
          const [{ hits }] = (await dataSource.query(
            `SELECT count(*)::int AS hits FROM ${from} WHERE ${sql}`,
            [value],
          )) as [{ hits: number }];
          if (hits > 0) found.push(`${from}."${column}": ${what}`);
        }
      }
      return { found, tables: new Set(columns.map((c) => `${c.schema}.${c.table}`)).size, cells };
    }

    it('leaves no private key in any table: no PEM, PKCS#8, SEC1, PKCS#1 or JWK private key in any text or binary column', async () => {
      // The search finds keys where there are some (so an empty result means something).
      const planted = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      await dataSource.query(`CREATE TABLE e2e_planted_key (der bytea, pem text, jwk jsonb)`);
      try {
        await dataSource.query(`INSERT INTO e2e_planted_key VALUES ($1, $2, $3)`, [
          planted.export({ type: 'sec1', format: 'der' }),
          planted.export({ type: 'pkcs8', format: 'pem' }),
          JSON.stringify(planted.export({ format: 'jwk' })),
        ]);
        expect((await privateKeysInDatabase()).found).toEqual([
          '"public"."e2e_planted_key"."der": SEC1 P-256',
          '"public"."e2e_planted_key"."pem": PRIVATE KEY-----',
          '"public"."e2e_planted_key"."pem": MIGHAgEAMBMGByqGSM49AgEG',
          '"public"."e2e_planted_key"."jwk": "d": "',
        ]);
      } finally {
        await dataSource.query(`DROP TABLE e2e_planted_key`);
      }
      const { found, tables, cells } = await privateKeysInDatabase();
      expect(tables).toBeGreaterThan(20);
      expect(cells).toBeGreaterThan(100);
      expect(found).toEqual([]);
    });
  },
);
