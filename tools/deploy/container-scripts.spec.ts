import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_APPS, DEPLOY_DIR, readText, REPO_ROOT, repoPathExists } from './deploy-files';

const ENTRYPOINT = join(DEPLOY_DIR, 'docker-entrypoint.sh');
const HEALTHCHECK = join(DEPLOY_DIR, 'healthcheck.mjs');

interface Run {
  readonly code: number | null;
  readonly pid: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion without blocking this process (the test's HTTP server must answer). */
function run(
  command: string,
  args: string[],
  options: { cwd?: string; env: NodeJS.ProcessEnv },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, pid: child.pid, stdout, stderr }));
  });
}

const baseEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
  PATH: process.env['PATH'] ?? '',
  ...extra,
});

describe('deploy/docker-entrypoint.sh', () => {
  // A stand-in for /app: the real node_modules, and stub entry points that report how they were run.
  let appDir: string;
  beforeAll(() => {
    appDir = mkdtempSync(join(tmpdir(), 'ztp-entrypoint-'));
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(appDir, 'node_modules'));
    const report = `const typed: string = 'ts';\nconsole.log(JSON.stringify({ pid: process.pid, app: process.env.APP, argv: process.argv.slice(2), typed }));\n`;
    for (const app of ['rendezvous', 'worker']) {
      mkdirSync(join(appDir, 'apps', app, 'src'), { recursive: true });
      writeFileSync(join(appDir, 'apps', app, 'src', 'main.ts'), report);
    }
    writeFileSync(
      join(appDir, 'migrate.mjs'),
      'console.log(JSON.stringify({ migrate: process.argv.slice(2) }));\n',
    );
    writeFileSync(
      join(appDir, 'bootstrap.mjs'),
      'console.log(JSON.stringify({ bootstrap: process.argv.slice(2) }));\n',
    );
    const scripts = { migrate: 'node migrate.mjs', bootstrap: 'node bootstrap.mjs' };
    writeFileSync(join(appDir, 'package.json'), JSON.stringify({ type: 'module', scripts }));
  });
  afterAll(() => rmSync(appDir, { recursive: true, force: true }));

  const entrypointEnv = (app: string | undefined) =>
    baseEnv({
      HOME: appDir,
      SWC_NODE_CACHE_DIR: join(appDir, '.swc-cache'),
      npm_config_cache: join(appDir, '.npm'),
      npm_config_update_notifier: 'false',
      ...(app === undefined ? {} : { APP: app }),
    });

  it('knows exactly the APP values the deployment uses', () => {
    const arms = [
      ...readText('deploy/docker-entrypoint.sh').matchAll(/^\s*([a-z][a-z |-]*)\)\s*$/gm),
    ].flatMap((match) => (match[1] ?? '').split('|').map((name) => name.trim()));
    expect(arms.sort()).toEqual([...ALL_APPS].sort());
  });

  it('starts entry points that exist in the repository', () => {
    for (const app of ALL_APPS.filter((name) => name !== 'migrate' && name !== 'bootstrap')) {
      expect(repoPathExists(`apps/${app}/src/main.ts`), `apps/${app}/src/main.ts`).toBe(true);
    }
  });

  it('replaces itself with node running the app TypeScript, passing arguments on', async () => {
    const result = await run('sh', [ENTRYPOINT, '--inspect-nothing', 'x'], {
      cwd: appDir,
      env: entrypointEnv('rendezvous'),
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { pid: number; app: string; argv: string[]; typed: string };
    // Same pid as the shell we started: exec, so SIGTERM from the runtime reaches node directly.
    expect(report.pid).toBe(result.pid);
    expect(report).toMatchObject({ app: 'rendezvous', argv: ['--inspect-nothing', 'x'], typed: 'ts' });
  });

  it('starts the worker the same way', async () => {
    const result = await run('sh', [ENTRYPOINT], { cwd: appDir, env: entrypointEnv('worker') });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ app: 'worker', argv: [] });
  });

  it('runs the migrate npm script for APP=migrate', async () => {
    const result = await run('sh', [ENTRYPOINT, '--dry'], { cwd: appDir, env: entrypointEnv('migrate') });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '')).toEqual({ migrate: ['--dry'] });
  });

  it('runs the bootstrap npm script (migrations, then the first operator key) for APP=bootstrap', async () => {
    const result = await run('sh', [ENTRYPOINT], { cwd: appDir, env: entrypointEnv('bootstrap') });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '')).toEqual({ bootstrap: [] });
    const packageJson = JSON.parse(readText('package.json')) as { scripts: Record<string, string> };
    expect(packageJson.scripts['bootstrap']).toContain('libs/auth/src/cli/bootstrap.ts');
    expect(repoPathExists('libs/auth/src/cli/bootstrap.ts')).toBe(true);
  });

  it.each([['nonsense'], [undefined]])(
    'refuses APP=%s with exit code 64 and the list of choices',
    async (app) => {
      const result = await run('sh', [ENTRYPOINT], { cwd: appDir, env: entrypointEnv(app) });
      expect(result.code).toBe(64);
      for (const name of ALL_APPS) expect(result.stderr).toContain(name);
    },
  );
});

describe('deploy/healthcheck.mjs', () => {
  let server: Server;
  let port: number;
  let readyStatus = 200;
  const requested: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      requested.push(request.url ?? '');
      response.statusCode = request.url === '/health/ready' ? readyStatus : 404;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const check = (env: Record<string, string>) => run(process.execPath, [HEALTHCHECK], { env: baseEnv(env) });

  it('is healthy when the app on its configured port answers GET /health/ready with 2xx', async () => {
    readyStatus = 200;
    requested.length = 0;
    const result = await check({ APP: 'voucher-service', VOUCHER_SERVICE_PORT: String(port) });
    expect(result.code).toBe(0);
    expect(requested).toEqual(['/health/ready']);
  });

  it('is unhealthy when readiness fails', async () => {
    readyStatus = 503;
    const result = await check({ APP: 'owner-onboarding', OWNER_ONBOARDING_PORT: String(port) });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('503');
  });

  it('is unhealthy when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await check({ APP: 'rendezvous', RENDEZVOUS_PORT: String(freePort) });
    expect(result.code).toBe(1);
  });

  it('has no HTTP check for the migration', async () => {
    requested.length = 0;
    for (const app of ['migrate', 'bootstrap']) {
      const result = await check({ APP: app, RENDEZVOUS_PORT: String(port) });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('no HTTP health endpoint');
    }
    expect(requested).toEqual([]);
  });

  it("checks the worker's readiness on WORKER_PORT", async () => {
    readyStatus = 200;
    requested.length = 0;
    const result = await check({ APP: 'worker', WORKER_PORT: String(port) });
    expect(result.code).toBe(0);
    expect(requested).toEqual(['/health/ready']);
  });
});
