import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppConfig, loadConfig } from '@ztp/config';
import { createTestDatabase, type TestDatabase } from '@ztp/persistence';
import { NestLoggerAdapter } from '../logging/nest-logger.adapter';
import { createRootLogger } from '../logging/root-logger';
import { serializeOpenApiDocument } from '../openapi/openapi-document';
import { type Runtime, startRuntime } from '../runtime/runtime';
import { type AppDescriptor } from './app-descriptor';
import { createApp, createOpenApiDocument } from './create-app';

@Module({})
class EmptyAppModule {}

const descriptor = (name: AppDescriptor['name']): AppDescriptor => ({
  name,
  title: `Test ${name}`,
  description: 'An app with only the platform endpoints',
  module: EmptyAppModule,
  endpoint: (config) => config.apps.rendezvous,
});

/**
 * Two apps on one runtime, as the launcher hosts them: on DATABASE_URL (a fresh database there)
 * when set, otherwise on an embedded PostgreSQL server started by the runtime itself on DATA_DIR.
 */
describe(`apps on the platform runtime (${process.env['DATABASE_URL'] ? 'DATABASE_URL' : 'embedded PostgreSQL'})`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-platform-'));
  const logLines: { level: string; msg?: string }[] = [];
  const logger = createRootLogger({ logLevel: 'info' }, 'test', {
    write: (line) => logLines.push(JSON.parse(line)),
  });
  let serverDatabase: TestDatabase | undefined;
  let config: AppConfig;
  let runtime: Runtime;
  let first: NestExpressApplication;
  let second: NestExpressApplication;

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
    config = loadConfig(env);
    runtime = await startRuntime(config, logger, { migrate: true });
    first = await createApp(descriptor('rendezvous'), runtime, new NestLoggerAdapter(logger));
    second = await createApp(descriptor('voucher-service'), runtime, new NestLoggerAdapter(logger));
  });
  afterAll(async () => {
    await serverDatabase?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is live and ready, with the database and the queue backend up', async () => {
    await request(first.getHttpServer()).get('/health').expect(200, { status: 'ok' });
    const ready = await request(first.getHttpServer()).get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, queue: { status: 'up', backend: config.queue.kind } },
    });
  });

  it('shows the same installation on every app of the runtime', async () => {
    const a = await request(first.getHttpServer()).get('/info').expect(200);
    const b = await request(second.getHttpServer()).get('/info').expect(200);
    expect(a.body).toMatchObject({
      app: 'rendezvous',
      installationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(b.body).toMatchObject({ app: 'voucher-service', installationId: a.body.installationId });
  });

  it('names the service on GET / and links its docs, which are served there', async () => {
    const index = await request(first.getHttpServer()).get('/').expect(200);
    expect(index.body).toMatchObject({
      service: 'rendezvous',
      links: { docs: '/docs', openapi: '/docs-json' },
    });
    const openapi = await request(first.getHttpServer()).get(index.body.links.openapi).expect(200);
    expect(openapi.body.info.title).toBe(index.body.title);
    await request(first.getHttpServer()).get(index.body.links.docs).redirects(1).expect(200);
  });

  it('keeps one metrics registry per app', async () => {
    await request(first.getHttpServer()).get('/info').set('X-Request-Id', 'only-first');
    const firstMetrics = (await request(first.getHttpServer()).get('/metrics')).text;
    const secondMetrics = (await request(second.getHttpServer()).get('/metrics')).text;
    expect(firstMetrics).toContain('app="rendezvous"');
    expect(firstMetrics).not.toContain('app="voucher-service"');
    expect(secondMetrics).toContain('app="voucher-service"');
    expect(secondMetrics).not.toContain('app="rendezvous"');
  });

  it('serves the same OpenAPI document as the one generated without a database', async () => {
    const served = await request(first.getHttpServer()).get('/docs-json').expect(200);
    const generated = await createOpenApiDocument(descriptor('rendezvous'));
    expect(serializeOpenApiDocument(served.body)).toBe(serializeOpenApiDocument(generated));
    await request(first.getHttpServer())
      .get('/docs')
      .expect(200)
      .expect('Content-Type', /text\/html/);
  });

  it('closes an app (HTTP, queues, data source) without an error logged', async () => {
    await second.close();
    expect(logLines.filter((line) => line.level === 'error' || line.level === 'fatal')).toEqual([]);
  });

  it('answers 503 on readiness once the database is gone, while staying live', async () => {
    if (serverDatabase) await serverDatabase.drop();
    else await runtime.close();
    const notReady = await request(first.getHttpServer()).get('/health/ready').expect(503);
    expect(notReady.body).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
    await request(first.getHttpServer()).get('/health').expect(200);
    await first.close();
    if (serverDatabase) await runtime.close();
  });
});
