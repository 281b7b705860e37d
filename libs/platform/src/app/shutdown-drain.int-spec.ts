import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Module, Post } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@ztp/config';
import { createTestDatabase, type TestDatabase } from '@ztp/persistence';
import { NestLoggerAdapter } from '../logging/nest-logger.adapter';
import { createRootLogger } from '../logging/root-logger';
import { type Runtime, startRuntime } from '../runtime/runtime';
import { type AppDescriptor } from './app-descriptor';
import { createApp } from './create-app';

/** A use case the test holds open, then finishes on the database, like a TO2 message in flight. */
const gate = (() => {
  let open!: () => void;
  let entered!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const reached = new Promise<void>((resolve) => (entered = resolve));
  return { open: () => open(), entered: () => entered(), opened, reached };
})();

@Controller('slow')
class SlowController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Post()
  async slow(): Promise<{ answer: number }> {
    gate.entered();
    await gate.opened;
    const [row] = (await this.dataSource.query('SELECT 42 AS answer')) as { answer: number }[];
    return { answer: row!.answer };
  }
}

@Module({ controllers: [SlowController] })
class SlowAppModule {}

const descriptor: AppDescriptor = {
  name: 'owner-onboarding',
  title: 'Test owner-onboarding',
  description: 'An app with one held request',
  module: SlowAppModule,
  endpoint: (config) => config.apps.ownerOnboarding,
};

describe('stopping an app (what SIGTERM runs)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-drain-'));
  const logger = createRootLogger({ logLevel: 'silent' }, 'test');
  let serverDatabase: TestDatabase | undefined;
  let runtime: Runtime;

  beforeAll(async () => {
    const env: NodeJS.ProcessEnv = {
      DATA_DIR: dataDir,
      REDIS_URL: process.env['REDIS_URL'],
      QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
    };
    if (process.env['DATABASE_URL']) {
      serverDatabase = await createTestDatabase({ migrate: false });
      Object.assign(env, {
        DATABASE_URL: serverDatabase.url,
        KEY_CUSTODY_MASTER_KEY: randomBytes(32).toString('base64'),
      });
    }
    runtime = await startRuntime(loadConfig(env), logger, { migrate: true });
  });
  afterAll(async () => {
    await serverDatabase?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lets a request in flight finish on the database, and accepts no new connection', async () => {
    const app = await createApp(descriptor, runtime, new NestLoggerAdapter(logger));
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const post = () =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/slow' }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    const inFlight = post();
    await gate.reached;
    // The order runApp's SIGTERM handler uses: the app, then the runtime (queues, database).
    const stopped = app.close().then(() => runtime.close());
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(post()).rejects.toThrow(/ECONNREFUSED/);
    gate.open();
    const response = await inFlight;
    expect(response.status).toBe(201);
    expect(JSON.parse(response.body)).toEqual({ answer: 42 });
    await stopped;
  });
});
