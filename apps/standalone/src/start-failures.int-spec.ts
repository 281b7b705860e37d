import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO_ROOT = new URL('../../../', import.meta.url).pathname;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `npm start` (apps/standalone/src/main.ts) and one app alone, as real processes. */
function start(entry: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', entry], {
      cwd: REPO_ROOT,
      env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

describe('start-up failures print one line, no stack', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-start-failures-'));
  const busy: Server = createServer();
  let busyPort = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => busy.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('npm start with a port in use: one line naming the variable, before the database starts', async () => {
    const result = await start('apps/standalone/src/main.ts', {
      DATA_DIR: dataDir,
      RENDEZVOUS_PORT: String(await freePort()),
      VOUCHER_SERVICE_PORT: String(busyPort),
      OWNER_ONBOARDING_PORT: String(await freePort()),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `voucher-service cannot listen on 127.0.0.1:${busyPort}: the port is already in use by another process ` +
        '(set VOUCHER_SERVICE_PORT or HOST)\n',
    );
    expect(result.stdout).toBe('');
    // Refused before the embedded database was even created.
    expect(existsSync(join(dataDir, 'postgres'))).toBe(false);
  }, 120_000);

  it('one app alone with a port in use, and with its database unreachable', async () => {
    const common = {
      DATABASE_URL: 'postgres://ztp@127.0.0.1:1/ztp',
      KEY_CUSTODY_MASTER_KEY: randomBytes(32).toString('base64'),
    };
    const taken = await start('apps/voucher-service/src/main.ts', {
      ...common,
      HOST: '127.0.0.1',
      VOUCHER_SERVICE_PORT: String(busyPort),
    });
    expect(taken.code).toBe(1);
    expect(taken.stderr).toBe(
      `voucher-service cannot listen on 127.0.0.1:${busyPort}: the port is already in use by another process ` +
        '(set VOUCHER_SERVICE_PORT or HOST)\n',
    );
    const unreachable = await start('apps/voucher-service/src/main.ts', {
      ...common,
      HOST: '127.0.0.1',
      VOUCHER_SERVICE_PORT: String(await freePort()),
    });
    expect(unreachable.code).toBe(1);
    const lines = unreachable.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Start-up failed: cannot reach 127\.0\.0\.1:1 \(ECONNREFUSED\)/);
    expect(unreachable.stderr).not.toMatch(/^\s+at /m);
  }, 120_000);

  it('production without a device-facing public URL: one line naming it', async () => {
    const result = await start('apps/rendezvous/src/main.ts', {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://ztp@127.0.0.1:1/ztp',
      KEY_CUSTODY_MASTER_KEY: randomBytes(32).toString('base64'),
      RENDEZVOUS_PUBLIC_URL: 'https://rv.example',
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'Invalid configuration: OWNER_ONBOARDING_PUBLIC_URL is required when NODE_ENV=production (it goes into ' +
        'the CRL and OCSP URLs of issued device certificates); set it to the URL devices reach',
    ]);
  }, 120_000);
});
