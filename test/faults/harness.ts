import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ThrowawayPostgres } from '../../libs/persistence/src/testing/throwaway-postgres';

export {
  findPostgresBinaries,
  ThrowawayPostgres,
} from '../../libs/persistence/src/testing/throwaway-postgres';

export const REPO_ROOT = new URL('../../', import.meta.url).pathname;

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns true, or throws `what` after `timeoutMs`; what `check` throws ends it. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** One HTTP GET's status (0 when the connection failed). */
export function httpStatus(url: string, timeoutMs = 3000): Promise<number> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/**
 * A redis-server of the tier's own (free port, own folder) that may be killed -9 and restarted.
 * AOF with fsync on every write, as a production Redis under BullMQ is run: what was acknowledged
 * survives the kill (job schedulers included), so the drill tests our reconnecting, not data loss.
 */
export class ThrowawayRedis {
  private child: ChildProcess | undefined;

  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<ThrowawayRedis> {
    const redis = new ThrowawayRedis(mkdtempSync(join(tmpdir(), 'ztp-faults-redis-')), await freePort());
    await redis.restart();
    return redis;
  }

  async restart(): Promise<void> {
    this.child = spawn(
      process.env['REDIS_SERVER_BIN'] ?? 'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    const child = this.child;
    await until(`redis-server on port ${this.port} answers`, async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      return (await redisPing(this.port)) === '+PONG';
    });
  }

  async kill(): Promise<void> {
    await killAndWait(this.child, 'SIGKILL');
  }

  async stop(): Promise<void> {
    await killAndWait(this.child, 'SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function redisPing(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) socket.end();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(reply.trim()));
  });
}

async function killAndWait(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

/** Runs `node <entry>` (TypeScript through swc, as the npm scripts do) to its end. */
export function runScript(
  entry: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', entry], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/**
 * kill -9 of the PostgreSQL server and every backend at once, as when its machine dies: the apps'
 * connections end mid-statement (a postmaster killed alone leaves its backends to finish first).
 */
export async function killPostgresHard(server: ThrowawayPostgres): Promise<void> {
  const pid = server.pid;
  if (pid === undefined) return;
  const backends = childPids(pid);
  process.kill(pid, 'SIGKILL');
  for (const backend of backends) {
    try {
      process.kill(backend, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await server.kill();
}

function childPids(parent: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) children.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the drill sent the signal; false: the process exited on its own. */
  expected: boolean;
  output: string;
}

/**
 * One app (`apps/<app>/src/main.ts`, as `npm run serve:*` and `npm run worker` start it) as a child
 * process. Every exit is recorded; one the drill did not cause is a failure of the tier.
 */
export class AppProcess {
  private child: ChildProcess | undefined;
  private log: string[] = [];
  private signalled = false;
  readonly exits: Exit[] = [];

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: NodeJS.ProcessEnv,
    /** GET this until 200 to know it is up; undefined: wait for `readyLine` in the output. */
    readonly readyUrl: string | undefined,
    private readonly readyLine = 'listening',
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines the process wrote (stdout and stderr). */
  output(lines = 60): string {
    return this.log.slice(-lines).join('\n');
  }

  /** Lines of its output since the last start that contain `text`. */
  lines(text: string): string[] {
    return this.log.filter((line) => line.includes(text));
  }

  async start(): Promise<void> {
    this.log = [];
    this.signalled = false;
    const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', this.entry], {
      cwd: REPO_ROOT,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let pending = '';
    const collect = (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      this.log.push(...lines);
      if (this.log.length > 2000) this.log.splice(0, this.log.length - 2000);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.on('exit', (code, signal) =>
      this.exits.push({ code, signal, expected: this.signalled, output: this.output() }),
    );
    await until(
      `${this.name} started`,
      async () => {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`${this.name} exited while starting:\n${this.output()}`);
        if (this.readyUrl) return (await httpStatus(this.readyUrl)) === 200;
        return this.log.some((line) => line.includes(this.readyLine));
      },
      // Five TypeScript apps compiling at once on a busy 2-core machine take their time.
      150_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${this.output()}`);
    });
  }

  /** Sends `signal` and resolves with how it exited. */
  async signal(signal: NodeJS.Signals): Promise<Exit> {
    const child = this.child;
    if (!child || !this.running) throw new Error(`${this.name} is not running`);
    this.signalled = true;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
    return this.exits.at(-1)!;
  }

  async stop(): Promise<void> {
    if (this.running) await this.signal('SIGKILL');
  }
}

/**
 * A TCP load balancer in front of app replicas (round robin per connection, the next replica when
 * one refuses the connection), as a Kubernetes Service or an L4 balancer spreads devices over
 * replicas. A connection to a replica that dies is cut, as a real balancer's would be.
 */
export class Balancer {
  private readonly server: Server;
  private next = 0;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly targets: number[]) {
    this.server = createServer((client) => this.relay(client));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  private relay(client: Socket, tried = 0): void {
    this.track(client);
    client.pause();
    const port = this.targets[this.next++ % this.targets.length]!;
    const upstream = connect(port, '127.0.0.1');
    this.track(upstream);
    const refused = () => {
      if (tried + 1 < this.targets.length && !client.destroyed) this.relay(client, tried + 1);
      else client.destroy();
    };
    upstream.once('error', refused);
    upstream.once('connect', () => {
      upstream.off('error', refused);
      upstream.on('error', () => undefined);
      client.pipe(upstream).pipe(client);
      client.resume();
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  private track(socket: Socket): void {
    if (this.sockets.has(socket)) return;
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
