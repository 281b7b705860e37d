import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedDatabaseBusyError, EmbeddedPostgres } from './embedded-postgres';

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}

function postmasterPid(dataDir: string): number {
  return Number.parseInt(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]!, 10);
}

// The embedded server itself, whatever DATABASE_URL says: it is what `npm start` runs on.
describe('EmbeddedPostgres on a data directory', () => {
  const root = mkdtempSync(join(tmpdir(), 'ztp-embedded-'));
  const dataDir = join(root, 'postgres');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('is a PostgreSQL server on loopback with a password kept beside the data, keeping data across a restart and refusing a second opener', async () => {
    const first = await EmbeddedPostgres.start({ dataDir });
    try {
      const url = new URL(first.url);
      expect(url.hostname).toBe('127.0.0.1');
      expect(first.version).toMatch(/^18\./);
      const password = readFileSync(`${dataDir}.password`, 'utf8').trim();
      expect(decodeURIComponent(url.password)).toBe(password);
      expect(statSync(`${dataDir}.password`).mode & 0o077).toBe(0);
      const wrong = new URL(first.url);
      wrong.password = 'wrong';
      await expect(query(wrong.toString(), 'SELECT 1')).rejects.toThrow(/password authentication failed/);
      expect(await query(first.url, 'SHOW listen_addresses')).toEqual([{ listen_addresses: '127.0.0.1' }]);
      await query(first.url, 'CREATE TABLE kept (value text); INSERT INTO kept VALUES ($$across restarts$$)');
      await expect(EmbeddedPostgres.start({ dataDir })).rejects.toBeInstanceOf(EmbeddedDatabaseBusyError);
    } finally {
      await first.stop();
    }

    const second = await EmbeddedPostgres.start({ dataDir });
    try {
      expect(await query(second.url, 'SELECT value FROM kept')).toEqual([{ value: 'across restarts' }]);
    } finally {
      await second.stop();
    }
  });

  it('recovers from a stale postmaster.pid left by a crashed run', async () => {
    const server = await EmbeddedPostgres.start({ dataDir });
    const pid = postmasterPid(dataDir);
    process.kill(pid, 'SIGKILL');
    await server.stop();
    // A crashed postmaster leaves its pid file; point it at a live process that is not PostgreSQL.
    const pidFile = join(dataDir, 'postmaster.pid');
    const lines = readFileSync(pidFile, 'utf8').split('\n');
    lines[0] = String(process.pid);
    writeFileSync(pidFile, lines.join('\n'));

    const restarted = await EmbeddedPostgres.start({ dataDir });
    try {
      expect(await query(restarted.url, 'SELECT value FROM kept')).toEqual([{ value: 'across restarts' }]);
    } finally {
      await restarted.stop();
    }
  });

  it('stops the server when its owner process is killed with SIGKILL', async () => {
    const owner = spawn(
      process.execPath,
      [
        '--import',
        '@swc-node/register/esm-register',
        '-e',
        `import { EmbeddedPostgres } from ${JSON.stringify(new URL('./embedded-postgres.ts', import.meta.url).pathname)};
         await EmbeddedPostgres.start({ dataDir: ${JSON.stringify(dataDir)} });
         console.log('started');
         setInterval(() => undefined, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      owner.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('started') && resolve());
      owner.once('exit', (code) => reject(new Error(`owner exited early (${code})`)));
    });
    const pid = postmasterPid(dataDir);
    expect(isAlive(pid)).toBe(true);
    owner.kill('SIGKILL');
    expect(await until(() => !isAlive(pid), 15_000)).toBe(true);
  });
});
