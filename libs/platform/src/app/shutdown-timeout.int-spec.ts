import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Get, Module, Post } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@ztp/config';
import { createTestDatabase, type TestDatabase } from '@ztp/persistence';
import { NestLoggerAdapter } from '../logging/nest-logger.adapter';
import { createRootLogger } from '../logging/root-logger';
import { type Runtime, startRuntime } from '../runtime/runtime';
import { type AppDescriptor } from './app-descriptor';
import { closeApp } from './close-app';
import { createApp } from './create-app';

/** A request the test holds open and releases, like a TO2 message waiting on its database work. */
function gate() {
  let open!: () => void;
  let entered!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const reached = new Promise<void>((resolve) => (entered = resolve));
  return { open: () => open(), entered: () => entered(), opened, reached };
}

let held = gate();

@Controller('drain')
class DrainController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get('fast')
  fast(): { ok: true } {
    return { ok: true };
  }

  @Post('slow')
  async slow(): Promise<{ answer: number }> {
    const mine = held;
    mine.entered();
    await mine.opened;
    const [row] = (await this.dataSource.query('SELECT 42 AS answer')) as { answer: number }[];
    return { answer: row!.answer };
  }

  @Post('stuck')
  async stuck(): Promise<{ never: true }> {
    const mine = held;
    mine.entered();
    await mine.opened;
    return { never: true };
  }
}

@Module({ controllers: [DrainController] })
class DrainAppModule {}

const descriptor: AppDescriptor = {
  name: 'owner-onboarding',
  title: 'Test owner-onboarding',
  description: 'An app whose requests the test holds',
  module: DrainAppModule,
  endpoint: (config) => config.apps.ownerOnboarding,
};

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

function send(port: number, method: string, path: string, agent: Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('SIGTERM drains an app: in-flight and kept-alive requests are answered, bounded by the timeout', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-shutdown-'));
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
    held.open();
    await runtime?.close();
    await serverDatabase?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function listening(): Promise<{ app: NestExpressApplication; port: number }> {
    held = gate();
    const app = await createApp(descriptor, runtime, new NestLoggerAdapter(logger));
    await app.listen(0, '127.0.0.1');
    return { app, port: (app.getHttpServer().address() as AddressInfo).port };
  }

  it('answers the next request on a kept-alive connection that was idle when the drain began', async () => {
    const { app, port } = await listening();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await send(port, 'GET', '/drain/fast', agent)).status).toBe(200);
      // The device's next message goes out as the stop begins, on the connection it kept. Node's
      // close() alone (Nest's app.close()) drops that idle connection and the request is reset.
      const closed = closeApp(app, 5000);
      const next = await send(port, 'GET', '/drain/fast', agent);
      expect(next).toMatchObject({ status: 200, connection: 'close' });
      await closed;
    } finally {
      agent.destroy();
    }
  });

  it('lets a request in flight finish on the database after the stop began, refusing new connections', async () => {
    const { app, port } = await listening();
    const inFlight = send(port, 'POST', '/drain/slow');
    await held.reached;
    let stopped = false;
    const closed = closeApp(app, 5000).then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(send(port, 'GET', '/drain/fast')).rejects.toThrow(/ECONNREFUSED/);
    expect(stopped).toBe(false);
    held.open();
    const answer = await inFlight;
    expect(answer).toMatchObject({ status: 201, connection: 'close' });
    expect(JSON.parse(answer.body)).toEqual({ answer: 42 });
    await closed;
    expect(stopped).toBe(true);
  });

  it('cuts a request that outlasts the drain timeout, and the close completes', async () => {
    const { app, port } = await listening();
    const inFlight = send(port, 'POST', '/drain/stuck').then(
      () => 'answered',
      (err: Error) => err.message,
    );
    await held.reached;
    const started = performance.now();
    await closeApp(app, 600);
    const tookMs = performance.now() - started;
    expect(tookMs).toBeGreaterThanOrEqual(550);
    expect(tookMs).toBeLessThan(3000);
    expect(await inFlight).toMatch(/socket hang up|ECONNRESET/);
  });
});
