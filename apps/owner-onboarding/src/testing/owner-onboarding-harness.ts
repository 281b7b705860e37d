import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { type AppConfig, loadConfig } from '@ztp/config';
import { createTestDatabase, ENTITIES, type TestDatabase } from '@ztp/persistence';
import { createApp, createRootLogger, NestLoggerAdapter, type Runtime, startRuntime } from '@ztp/platform';
import { type KeyCustody } from '@ztp/pki';
import { DataSource } from 'typeorm';
import { OWNER_ONBOARDING_APP } from '../owner-onboarding.app';
import { testCustody } from './onboarding-fixtures';

/** One owner-onboarding instance of a harness, listening on a random local port. */
export interface OwnerOnboardingInstance {
  app: NestExpressApplication;
  url: string;
  close(): Promise<void>;
}

/**
 * owner-onboarding on the platform runtime for integration tests: a fresh migrated database
 * (DATABASE_URL's server when set, else the test run's embedded PostgreSQL server), any number of app instances on it
 * (to show that any replica serves any TO2 message), a data source and a key custody for seeding.
 */
export interface OwnerOnboardingHarness {
  config: AppConfig;
  runtime: Runtime;
  dataSource: DataSource;
  custody: KeyCustody;
  /** The first instance. */
  instance: OwnerOnboardingInstance;
  startInstance(): Promise<OwnerOnboardingInstance>;
  stop(): Promise<void>;
}

export async function startOwnerOnboardingHarness(
  env: NodeJS.ProcessEnv = {},
): Promise<OwnerOnboardingHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-onboarding-'));
  let serverDatabase: TestDatabase | undefined;
  const baseEnv: NodeJS.ProcessEnv = {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    REDIS_URL: process.env['REDIS_URL'],
    QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
    ...env,
  };
  if (process.env['DATABASE_URL']) {
    serverDatabase = await createTestDatabase({ migrate: false });
    baseEnv['DATABASE_URL'] = serverDatabase.url;
    baseEnv['KEY_CUSTODY_MASTER_KEY'] = randomBytes(32).toString('base64');
  }
  const config = loadConfig(baseEnv);
  const logger = createRootLogger(config, 'test');
  const runtime = await startRuntime(config, logger, { migrate: true });
  const dataSource = await new DataSource({
    type: 'postgres',
    url: runtime.database.url,
    poolSize: 4,
    entities: ENTITIES,
  }).initialize();
  const instances: OwnerOnboardingInstance[] = [];
  const startInstance = async (): Promise<OwnerOnboardingInstance> => {
    const app = await createApp(OWNER_ONBOARDING_APP, runtime, new NestLoggerAdapter(logger));
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    let closed = false;
    const instance = {
      app,
      url: `http://127.0.0.1:${port}`,
      close: async () => {
        if (closed) return;
        closed = true;
        await app.close();
      },
    };
    instances.push(instance);
    return instance;
  };
  const instance = await startInstance();
  return {
    config,
    runtime,
    dataSource,
    custody: testCustody(dataSource, config.keyCustody.masterKey),
    instance,
    startInstance,
    async stop() {
      for (const each of instances) await each.close();
      await dataSource.destroy();
      await runtime.close();
      await serverDatabase?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
