import { execFile } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkcs11, { type Pkcs11Error } from 'pkcs11js';
import { type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditLog,
  createTestDatabase,
  openDataSource,
  PostgresSealedKeyStore,
  TenantEntity,
  type TestDatabase,
} from '@ztp/persistence';
import {
  createSoftHsmToken,
  Pkcs11KeyCustody,
  SOFTHSM2_MODULE,
  SoftwareKeyCustody,
  type TestToken,
} from '@ztp/pki';
import { SigAlg, verifyWithAlg } from '@ztp/protocol';

const softHsmMissing = !existsSync(SOFTHSM2_MODULE) && process.env['CI'] !== 'true';
const ROOT = new URL('../../../../', import.meta.url).pathname;

/**
 * `npm run custody -- migrate` and `public-key` as an operator runs them: a Node process (not vitest's
 * module loader) against a real PostgreSQL database and a SoftHSM2 token.
 */
describe.skipIf(softHsmMissing)(
  `npm run custody -- migrate: software keys into a SoftHSM2 token${softHsmMissing ? ` (skipped: ${SOFTHSM2_MODULE} missing)` : ''}`,
  () => {
    let token: TestToken;
    let database: TestDatabase;
    let dataSource: DataSource;
    let software: SoftwareKeyCustody;
    let tenantId: string;
    const masterKey = randomBytes(32);
    const dir = mkdtempSync(join(tmpdir(), 'ztp-custody-migrate-'));
    /** Key material this test knows, so the database can be searched for it afterwards. */
    const ownerKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const caKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

    beforeAll(async () => {
      token = createSoftHsmToken('migrate');
      writeFileSync(join(dir, 'pin'), token.pin);
      database = await createTestDatabase();
      dataSource = await openDataSource({ url: database.url, poolSize: 2 });
      software = new SoftwareKeyCustody({
        store: new PostgresSealedKeyStore(dataSource),
        masterKey: { version: 1, key: new Uint8Array(masterKey) },
        now: () => new Date(),
      });
      tenantId = (
        await dataSource
          .getRepository(TenantEntity)
          .save({ kind: 'owner', name: 'Migrating owner', slug: 'migrating', settings: {} })
      ).id;
      await software.importKey({ keyId: 'owner-key-1', privateKey: ownerKey, purpose: `owner:${tenantId}` });
      await software.importKey({ keyId: 'owner-ca-1', privateKey: caKey, purpose: `owner-ca:${tenantId}` });
      await software.generateKey({ keyId: 'owner2-1', spec: 'P-256', purpose: `owner2:${tenantId}` });
      await software.generateKey({ keyId: 'no-tenant', spec: 'P-256', purpose: 'device-ca' });
    });

    afterAll(async () => {
      await dataSource?.destroy();
      await database?.drop();
      token?.remove();
      rmSync(dir, { recursive: true, force: true });
    });

    function custodyCli(args: string[], extraEnv: Record<string, string> = {}) {
      return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['--import', '@swc-node/register/esm-register', 'libs/platform/src/cli/custody.ts', ...args],
          {
            cwd: ROOT,
            timeout: 60_000,
            env: {
              PATH: process.env['PATH'],
              SOFTHSM2_CONF: process.env['SOFTHSM2_CONF'],
              DATABASE_URL: database.url,
              KEY_CUSTODY_MASTER_KEY: masterKey.toString('base64'),
              KEY_CUSTODY: 'pkcs11',
              KEY_CUSTODY_PKCS11_MODULE: token.modulePath,
              KEY_CUSTODY_PKCS11_TOKEN_LABEL: token.label,
              KEY_CUSTODY_PKCS11_PIN_FILE: join(dir, 'pin'),
              LOG_LEVEL: 'info',
              ...extraEnv,
            },
          },
          (error, stdout, stderr) =>
            resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
    }

    const sealedIds = async () =>
      ((await dataSource.query(`SELECT key_id FROM sealed_key ORDER BY key_id`)) as { key_id: string }[]).map(
        (row) => row.key_id,
      );

    it('moves every long-lived software key into the token with an audit event; the software copy is gone; Owner2Keys stay', async () => {
      const run = await custodyCli(['migrate', '--all']);
      // The key without a tenant cannot be audited, so it stays (exit 1, named); the others moved.
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(run.stdout).toMatch(/Moved owner-key-1 .*into the token/);
      expect(run.stdout).toMatch(/Moved owner-ca-1 /);
      expect(run.stdout).toMatch(/no-tenant \(device-ca\) names no tenant/);
      expect(await sealedIds()).toEqual(['no-tenant', 'owner2-1']);

      const events: { event_type: string; subject: string; actor: string; data: Record<string, unknown> }[] =
        await dataSource.query(
          `SELECT event_type, subject, actor, data FROM audit_event WHERE tenant_id = $1 ORDER BY seq`,
          [tenantId],
        );
      const spki = (key: typeof ownerKey) =>
        createHash('sha256')
          .update(createPublicKey(key).export({ type: 'spki', format: 'der' }))
          .digest('hex');
      expect(events).toEqual([
        {
          event_type: 'custody.key-migrated',
          subject: 'owner-key-1',
          actor: 'system:custody-migrate',
          data: {
            purpose: `owner:${tenantId}`,
            spec: 'P-256',
            from: 'software',
            to: 'pkcs11',
            token: 'migrate',
            publicKeySha256: spki(ownerKey),
          },
        },
        expect.objectContaining({
          subject: 'owner-ca-1',
          data: expect.objectContaining({ spec: 'RSA-2048' }),
        }),
      ]);
      expect(
        (await dataSource.manager.transaction((m) => new AuditLog().verifyChain(m, tenantId))).valid,
      ).toBe(true);

      // The key material appears nowhere in the database (its sealed record was the only copy).
      const d = Buffer.from(ownerKey.export({ format: 'jwk' }).d!, 'base64url');
      const pkcs8 = ownerKey.export({ type: 'pkcs8', format: 'der' });
      const rsaD = Buffer.from(caKey.export({ format: 'jwk' }).d!, 'base64url');
      const tables: { table: string; column: string }[] = await dataSource.query(
        `SELECT table_name AS table, column_name AS column FROM information_schema.columns
         WHERE table_schema = 'public' AND data_type = 'bytea'`,
      );
      for (const { table, column } of tables) {
        for (const secret of [d, pkcs8, rsaD]) {
          const [{ hits }] = (await dataSource.query(
            `SELECT count(*)::int AS hits FROM "${table}" WHERE position($1::bytea in "${column}") > 0`,
            [secret],
          )) as [{ hits: number }];
          expect(hits, `${table}.${column}`).toBe(0);
        }
      }
    });

    it('the token signs with the moved keys; their private parts cannot be read; only the public key exports', async () => {
      const tokenCustody = new Pkcs11KeyCustody({
        modulePath: token.modulePath,
        tokenLabel: token.label,
        pin: token.pin,
        now: () => new Date(),
      });
      try {
        const signer = await tokenCustody.signer('owner-key-1');
        const message = Buffer.from('signed by the moved key');
        expect(
          verifyWithAlg(SigAlg.ES256, createPublicKey(ownerKey), message, await signer.sign(message)),
        ).toBe(true);
        const raw = new pkcs11.PKCS11();
        raw.load(token.modulePath);
        try {
          raw.C_Initialize({ flags: pkcs11.CKF_OS_LOCKING_OK });
        } catch (error) {
          if (!(
            error instanceof pkcs11.Pkcs11Error && error.code === pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED
          ))
            throw error;
        }
        const slot = raw.C_GetSlotList(true).find((s) => raw.C_GetTokenInfo(s).label.trim() === token.label)!;
        const session = raw.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION);
        try {
          try {
            raw.C_Login(session, pkcs11.CKU_USER, token.pin);
          } catch (error) {
            if (!(error instanceof pkcs11.Pkcs11Error && error.code === pkcs11.CKR_USER_ALREADY_LOGGED_IN))
              throw error;
          }
          for (const [label, secret] of [
            ['owner-key-1', pkcs11.CKA_VALUE],
            ['owner-ca-1', pkcs11.CKA_PRIVATE_EXPONENT],
          ] as const) {
            raw.C_FindObjectsInit(session, [
              { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_PRIVATE_KEY },
              { type: pkcs11.CKA_LABEL, value: label },
            ]);
            const key = raw.C_FindObjects(session)!;
            raw.C_FindObjectsFinal(session);
            const [sensitive, extractable] = raw.C_GetAttributeValue(session, key, [
              { type: pkcs11.CKA_SENSITIVE },
              { type: pkcs11.CKA_EXTRACTABLE },
            ]);
            expect([(sensitive!.value as Buffer)[0], (extractable!.value as Buffer)[0]]).toEqual([1, 0]);
            let refused: unknown;
            try {
              raw.C_GetAttributeValue(session, key, [{ type: secret }]);
            } catch (error) {
              refused = error;
            }
            expect((refused as Pkcs11Error).code, label).toBe(pkcs11.CKR_ATTRIBUTE_SENSITIVE);
          }
        } finally {
          raw.C_CloseSession(session);
        }
      } finally {
        tokenCustody.close();
      }

      const exported = await custodyCli(['public-key', 'owner-key-1'], { LOG_LEVEL: 'error' });
      expect(exported.code, exported.stderr).toBe(0);
      expect(exported.stdout).toBe(createPublicKey(ownerKey).export({ type: 'spki', format: 'pem' }));
      expect(exported.stdout).not.toMatch(/PRIVATE/);
    });

    it('refuses Owner2Keys, unknown ids and a software-only configuration with one clear line and exit 1', async () => {
      const owner2 = await custodyCli(['migrate', 'owner2-1']);
      expect(owner2.code).toBe(1);
      expect(owner2.stdout).toMatch(/owner2-1 is a short-lived key .*stay in the software custody/);
      const unknown = await custodyCli(['migrate', 'nope']);
      expect(unknown.code).toBe(1);
      expect(unknown.stdout).toMatch(/no key with id nope/);
      const softwareOnly = await custodyCli(['migrate', '--all'], { KEY_CUSTODY: 'software' });
      expect(softwareOnly.code).toBe(1);
      expect(softwareOnly.stderr).toMatch(/set KEY_CUSTODY=pkcs11/);
      // A key moved before is named as such.
      const again = await custodyCli(['migrate', 'owner-key-1']);
      expect(again.code).toBe(1);
      expect(again.stdout).toMatch(/owner-key-1 is in the token already/);
      expect(await sealedIds()).toEqual(['no-tenant', 'owner2-1']);
    });
  },
);
