import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Where the PostgreSQL server binaries are looked for (PG_BIN first). */
const BIN_DIRS = [process.env['PG_BIN'], '/usr/lib/postgresql/15/bin'].filter((dir): dir is string => !!dir);

/** The server binaries' folder, or why a throwaway server cannot run here. */
export function findPostgresBinaries(): { dir: string } | { missing: string } {
  const dir = BIN_DIRS.find(
    (candidate) => existsSync(join(candidate, 'postgres')) && existsSync(join(candidate, 'initdb')),
  );
  return dir
    ? { dir }
    : { missing: `no PostgreSQL server binaries (initdb, postgres) in ${BIN_DIRS.join(', ')}` };
}

/**
 * A PostgreSQL server of a test's own: its own data folder and port, so the test may kill -9 it
 * (or its backends) and restart it without harming anyone else's server. Run as the `postgres` OS
 * user when we are root, because PostgreSQL refuses to run as root.
 */
export class ThrowawayPostgres {
  private child: ChildProcess | undefined;

  private constructor(
    private readonly binDir: string,
    private readonly dataDir: string,
    readonly port: number,
    private readonly owner: { uid: number; gid: number } | undefined,
  ) {}

  /** postgres:// URL of the `postgres` database. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** The postmaster's process id while it runs. */
  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  static async start(): Promise<ThrowawayPostgres> {
    const found = findPostgresBinaries();
    if ('missing' in found) throw new Error(found.missing);
    const root = mkdtempSync(join(tmpdir(), 'ztp-pg-'));
    chmodSync(root, 0o755);
    const dataDir = join(root, 'data');
    const owner = process.getuid?.() === 0 ? postgresUser() : undefined;
    if (owner) chownSync(root, owner.uid, owner.gid);
    execFileSync(
      join(found.dir, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8'],
      {
        stdio: 'ignore',
        ...(owner ?? {}),
      },
    );
    const server = new ThrowawayPostgres(found.dir, dataDir, await freePort(), owner);
    await server.restart();
    return server;
  }

  /** Starts the server (again) and resolves once it accepts connections. */
  async restart(): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      this.child = spawn(
        join(this.binDir, 'postgres'),
        [
          '-D',
          this.dataDir,
          '-p',
          String(this.port),
          '-k',
          this.dataDir,
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          'fsync=off',
          '-c',
          'max_connections=200',
        ],
        { stdio: 'ignore', ...(this.owner ?? {}) },
      );
      const child = this.child;
      if (await this.accepting(child, deadline)) return;
      // Orphaned backends of a killed server can hold its shared memory for a moment: try again.
      if (Date.now() > deadline) throw new Error(`throwaway PostgreSQL on port ${this.port} did not start`);
      await sleep(250);
    }
  }

  /** kill -9 of the postmaster; resolves once it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT'); // fast shutdown
      await exited;
    }
    rmSync(join(this.dataDir, '..'), { recursive: true, force: true });
  }

  private async accepting(child: ChildProcess, deadline: number): Promise<boolean> {
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) return false;
      const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 1000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } catch {
        await sleep(100);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    return false;
  }
}

function postgresUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
