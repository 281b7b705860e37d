import { createHash, createPublicKey, type KeyObject, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { pino } from 'pino';
import { loadConfig } from '@ztp/config';
import { createTestDatabase, type TestDatabase } from '@ztp/persistence';
import { createApp, NestLoggerAdapter, type Runtime, startRuntime } from '@ztp/platform';
import { VOUCHER_SERVICE_APP } from '../voucher-service.app';

/** A tenant made through the API, with an admin API key and one P-256 owner key. */
export interface LedgerTenant {
  id: string;
  slug: string;
  /** tenant:admin API key. */
  key: string;
  ownerKeyId: string;
  ownerPublicKey: KeyObject;
}

/**
 * The voucher service alone on a fresh database (DATABASE_URL when set, else an embedded PostgreSQL server in
 * a temp DATA_DIR), listening on a random loopback port, with a bootstrap operator key. For
 * integration tests and benchmarks of the ledger API.
 */
export class LedgerHarness {
  private constructor(
    readonly app: NestExpressApplication,
    readonly url: string,
    readonly operatorKey: string,
    private readonly runtime: Runtime,
    private readonly dataDir: string,
    private readonly serverDatabase: TestDatabase | undefined,
  ) {}

  static async start(env: NodeJS.ProcessEnv = {}): Promise<LedgerHarness> {
    const dataDir = mkdtempSync(join(tmpdir(), 'ztp-ledger-'));
    const operatorKey = `ztp_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}`;
    const settings: NodeJS.ProcessEnv = {
      DATA_DIR: dataDir,
      REDIS_URL: process.env['REDIS_URL'],
      QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
      AUTH_OPERATOR_API_KEY_SHA256: createHash('sha256').update(operatorKey).digest('hex'),
      DEMO_SEED: 'off',
      ...env,
    };
    let serverDatabase: TestDatabase | undefined;
    if (process.env['DATABASE_URL']) {
      serverDatabase = await createTestDatabase({ migrate: false });
      Object.assign(settings, {
        DATABASE_URL: serverDatabase.url,
        KEY_CUSTODY_MASTER_KEY: randomBytes(32).toString('base64'),
      });
    }
    const logger = pino({ level: 'silent' });
    const runtime = await startRuntime(loadConfig(settings), logger, { migrate: true });
    const app = await createApp(VOUCHER_SERVICE_APP, runtime, new NestLoggerAdapter(logger));
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    return new LedgerHarness(app, `http://127.0.0.1:${port}`, operatorKey, runtime, dataDir, serverDatabase);
  }

  /** A JSON API call; throws on an unexpected status. */
  async call<T = Record<string, unknown>>(
    key: string,
    method: string,
    path: string,
    body?: unknown,
    expected = method === 'POST' ? 201 : 200,
  ): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== expected) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async tenant(kind: 'manufacturer' | 'reseller' | 'owner', slug: string): Promise<LedgerTenant> {
    const tenant = await this.call<{ id: string }>(this.operatorKey, 'POST', '/v1/tenants', {
      kind,
      name: slug,
      slug,
    });
    const admin = await this.call<{ key: string }>(
      this.operatorKey,
      'POST',
      `/v1/tenants/${tenant.id}/api-keys`,
      {
        name: 'admin',
        roles: ['tenant:admin'],
      },
    );
    const ownerKey = await this.call<{ id: string; publicKeyPem: string }>(
      admin.key,
      'POST',
      '/v1/owner-keys',
      {
        name: 'main',
        spec: 'P-256',
      },
    );
    return {
      id: tenant.id,
      slug,
      key: admin.key,
      ownerKeyId: ownerKey.id,
      ownerPublicKey: createPublicKey(ownerKey.publicKeyPem),
    };
  }

  async close(): Promise<void> {
    try {
      await this.app.close();
      await this.runtime.close();
    } finally {
      await this.serverDatabase?.drop();
      rmSync(this.dataDir, { recursive: true, force: true });
    }
  }
}
