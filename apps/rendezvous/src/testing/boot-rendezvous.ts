import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { type AppConfig, loadConfig } from '@ztp/config';
import { createTestDatabase, type TestDatabase } from '@ztp/persistence';
import { createApp, createRootLogger, NestLoggerAdapter, type Runtime, startRuntime } from '@ztp/platform';
import { RENDEZVOUS_APP } from '../rendezvous.app';

export interface BootedRendezvous {
  readonly app: NestExpressApplication;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly config: AppConfig;
  readonly runtime: Runtime;
  close(): Promise<void>;
}

/**
 * The rendezvous app on a random loopback port, for integration tests and the benchmark: on a fresh
 * database on DATABASE_URL when set (Redis too when REDIS_URL is set), otherwise on an embedded
 * PostgreSQL server on a temporary DATA_DIR. `env` adds or overrides variables (e.g. rate limits).
 */
export async function bootRendezvous(env: NodeJS.ProcessEnv = {}): Promise<BootedRendezvous> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-rendezvous-'));
  let database: TestDatabase | undefined;
  const base: NodeJS.ProcessEnv = {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    REDIS_URL: process.env['REDIS_URL'],
    QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
  };
  if (process.env['DATABASE_URL']) {
    database = await createTestDatabase({ migrate: false });
    Object.assign(base, {
      DATABASE_URL: database.url,
      KEY_CUSTODY_MASTER_KEY: randomBytes(32).toString('base64'),
    });
  }
  const config = loadConfig({ ...base, ...env });
  const logger = createRootLogger(config, 'rendezvous-test');
  const runtime = await startRuntime(config, logger, { migrate: true });
  const app = await createApp(RENDEZVOUS_APP, runtime, new NestLoggerAdapter(logger));
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    config,
    runtime,
    async close() {
      try {
        await app.close();
        await runtime.close();
      } finally {
        await database?.drop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
