import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@ztp/persistence';

const REPO_ROOT = new URL('../../', import.meta.url).pathname;
const APPS = ['rendezvous', 'voucher-service', 'owner-onboarding'] as const;
const START_BUDGET_MS = 60_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `npm start` as a child process: the real entry point, signals and exit code included. */
class Launcher {
  private readonly child: ChildProcess;
  private output = '';
  readonly exited: Promise<number | null>;

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn(
      process.execPath,
      ['--import', '@swc-node/register/esm-register', 'apps/standalone/src/main.ts'],
      { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  get log(): string {
    return this.output;
  }

  /**
   * Resolves with the start-to-ready time once every app answers GET /health and the launcher has
   * printed its banner (it listens on every port a moment before it prints).
   */
  async ready(urls: string[]): Promise<number> {
    const started = performance.now();
    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    while (performance.now() - started < START_BUDGET_MS) {
      if (exitCode !== undefined) throw new Error(`The launcher exited with ${exitCode}:\n${this.output}`);
      const answers = await Promise.all(
        urls.map((url) =>
          fetch(`${url}/health`).then(
            (res) => res.ok,
            () => false,
          ),
        ),
      );
      if (answers.every(Boolean) && this.output.includes('Ready in')) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`Not ready within ${START_BUDGET_MS} ms:\n${this.output}`);
  }

  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.exited;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

describe(`npm start: all apps in one process (${process.env['DATABASE_URL'] ? 'DATABASE_URL' : 'embedded PostgreSQL'}${
  process.env['REDIS_URL'] ? ', Redis' : ''
})`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-e2e-foundation-'));
  const urls: Record<(typeof APPS)[number], string> = {
    rendezvous: '',
    'voucher-service': '',
    'owner-onboarding': '',
  };
  let env: NodeJS.ProcessEnv;
  let database: TestDatabase | undefined;
  let launcher: Launcher | undefined;
  let installationId: string;

  beforeAll(async () => {
    const [rendezvous, voucher, onboarding] = [await freePort(), await freePort(), await freePort()];
    urls.rendezvous = `http://127.0.0.1:${rendezvous}`;
    urls['voucher-service'] = `http://127.0.0.1:${voucher}`;
    urls['owner-onboarding'] = `http://127.0.0.1:${onboarding}`;
    const { DATABASE_URL: serverUrl, REDIS_URL: redisUrl, ...inherited } = process.env;
    env = {
      ...inherited,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      RENDEZVOUS_PORT: String(rendezvous),
      VOUCHER_SERVICE_PORT: String(voucher),
      OWNER_ONBOARDING_PORT: String(onboarding),
      QUEUE_PREFIX: `e2e${randomBytes(4).toString('hex')}`,
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    };
    if (serverUrl) {
      database = await createTestDatabase({ migrate: false });
      env['DATABASE_URL'] = database.url;
      env['KEY_CUSTODY_MASTER_KEY'] = randomBytes(32).toString('base64');
    }
  });
  afterAll(async () => {
    launcher?.kill();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers GET /health on all three apps within 60 s of a fresh start', async () => {
    launcher = new Launcher(env);
    const ms = await launcher.ready(Object.values(urls));
    console.log(`fresh start to ready: ${(ms / 1000).toFixed(1)} s`);
    expect(launcher.log).toContain('Ready in');
    for (const app of APPS) expect(launcher.log).toContain(`${app}`);
    expect(launcher.log).toContain(`${urls.rendezvous}/docs`);
  });

  it('is ready (database and queues) on every app, all on one installation', async () => {
    const ids = new Set<string>();
    for (const app of APPS) {
      const ready = await fetch(`${urls[app]}/health/ready`);
      expect(ready.status, app).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
      const info = (await (await fetch(`${urls[app]}/info`)).json()) as {
        app: string;
        installationId: string;
      };
      expect(info.app).toBe(app);
      ids.add(info.installationId);
    }
    expect(ids.size).toBe(1);
    installationId = [...ids][0]!;
  });

  it('serves Prometheus metrics per app', async () => {
    for (const app of APPS) {
      const res = await fetch(`${urls[app]}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const text = await res.text();
      expect(text).toContain(`process_resident_memory_bytes{app="${app}"}`);
      expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    }
  });

  it('echoes the request id and answers an unknown route with an RFC 7807 problem', async () => {
    const res = await fetch(`${urls['owner-onboarding']}/no/such/route`, {
      headers: { 'X-Request-Id': 'e2e-req-1' },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('e2e-req-1');
    expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(await res.json()).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'Cannot GET /no/such/route',
      instance: '/no/such/route',
      requestId: 'e2e-req-1',
    });
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await launcher!.stop()).toBe(0);
    expect(launcher!.log).not.toMatch(/"level":"(error|fatal)"/);
    for (const app of APPS) await expect(fetch(`${urls[app]}/health`)).rejects.toThrow();
  });

  it('starts again on the same data, keeping it', async () => {
    launcher = new Launcher(env);
    const ms = await launcher.ready(Object.values(urls));
    console.log(`restart on existing data to ready: ${(ms / 1000).toFixed(1)} s`);
    const info = (await (await fetch(`${urls.rendezvous}/info`)).json()) as { installationId: string };
    expect(info.installationId).toBe(installationId);
    expect((await fetch(`${urls['voucher-service']}/health/ready`)).status).toBe(200);
    expect(await launcher.stop()).toBe(0);
  });
});

describe('npm start on a busy port', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-e2e-busy-port-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('exits with 1 and one line naming the port variable, no stack trace', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    // The embedded database: the port is refused after the database opens, whichever it is.
    const inherited = { ...process.env };
    delete inherited['DATABASE_URL'];
    delete inherited['REDIS_URL'];
    const launcher = new Launcher({
      ...inherited,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      RENDEZVOUS_PORT: String(await freePort()),
      VOUCHER_SERVICE_PORT: String(port),
      OWNER_ONBOARDING_PORT: String(await freePort()),
      QUEUE_PREFIX: `e2e${randomBytes(4).toString('hex')}`,
    });
    try {
      expect(await launcher.exited).toBe(1);
    } finally {
      launcher.kill();
      await new Promise((resolve) => taken.close(resolve));
    }
    const line = `voucher-service cannot listen on 127.0.0.1:${port}: the port is already in use by another process (set VOUCHER_SERVICE_PORT or HOST)`;
    expect(launcher.log.trim().split('\n').at(-1)).toBe(line);
    expect(launcher.log).not.toMatch(/\n\s+at /);
  }, 90_000);
});
