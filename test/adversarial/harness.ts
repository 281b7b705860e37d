import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { generateApiKey } from '@ztp/auth';
import { createTestDatabase, type TestDatabase } from '@ztp/persistence';

const REPO_ROOT = new URL('../../', import.meta.url).pathname;
const START_BUDGET_MS = 120_000;

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * `npm start` (all three apps and the worker in one process) as a child process on a temporary
 * DATA_DIR and random ports, as an attacker meets it: on DATABASE_URL's server (a fresh database)
 * when set, else on its own embedded PostgreSQL. Its output is kept: the tier asserts it has no
 * error-level log line, and that the process is still alive after each attack.
 */
export class Target {
  readonly operatorKey = generateApiKey().key;
  readonly urls: { rendezvous: string; voucher: string; onboarding: string };
  output = '';
  private child: ChildProcess | undefined;
  private exitCode: number | null | undefined;
  private database: TestDatabase | undefined;

  private constructor(
    private readonly dataDir: string,
    private readonly ports: number[],
  ) {
    this.urls = {
      rendezvous: `http://127.0.0.1:${ports[0]}`,
      voucher: `http://127.0.0.1:${ports[1]}`,
      onboarding: `http://127.0.0.1:${ports[2]}`,
    };
  }

  static async start(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<Target> {
    const target = new Target(dataDir, [await freePort(), await freePort(), await freePort()]);
    await target.spawn(env);
    return target;
  }

  private async spawn(extra: NodeJS.ProcessEnv): Promise<void> {
    const { DATABASE_URL: serverUrl, REDIS_URL: redisUrl, ...inherited } = process.env;
    const env: NodeJS.ProcessEnv = {
      ...inherited,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATA_DIR: this.dataDir,
      DEMO_SEED: 'off',
      QUEUE_PREFIX: `adv${randomBytes(4).toString('hex')}`,
      AUTH_OPERATOR_API_KEY_SHA256: createHash('sha256').update(this.operatorKey).digest('hex'),
      // The fuzz sends tens of thousands of messages from one address: limits would answer them all.
      RENDEZVOUS_RATE_LIMIT_PER_ADDRESS: '0',
      RENDEZVOUS_RATE_LIMIT_PER_GUID: '0',
      RENDEZVOUS_RATE_LIMIT_TO0_PER_ADDRESS: '0',
      RENDEZVOUS_PORT: String(this.ports[0]),
      VOUCHER_SERVICE_PORT: String(this.ports[1]),
      OWNER_ONBOARDING_PORT: String(this.ports[2]),
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    };
    if (serverUrl) {
      this.database = await createTestDatabase({ migrate: false });
      Object.assign(env, {
        DATABASE_URL: this.database.url,
        KEY_CUSTODY_MASTER_KEY: randomBytes(32).toString('base64'),
      });
    }
    const child = spawn(
      process.execPath,
      ['--import', '@swc-node/register/esm-register', 'apps/standalone/src/main.ts'],
      { cwd: REPO_ROOT, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.on('exit', (code) => (this.exitCode = code));
    const started = performance.now();
    while (performance.now() - started < START_BUDGET_MS) {
      if (this.exitCode !== undefined)
        throw new Error(`npm start exited with ${this.exitCode}:\n${this.output}`);
      if (this.output.includes('Stop with Ctrl+C')) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    child.kill('SIGKILL');
    throw new Error(`npm start not ready within ${START_BUDGET_MS} ms:\n${this.output}`);
  }

  /** Still running, and every app answers its health check. */
  async alive(): Promise<boolean> {
    if (this.exitCode !== undefined) return false;
    for (const url of Object.values(this.urls)) {
      const res = await fetch(`${url}/health`).catch(() => undefined);
      if (res === undefined || res.status >= 500) return false;
    }
    return true;
  }

  /** Error-level (and worse) JSON log lines written since `from` (an offset into output). */
  errorLines(from = 0): string[] {
    return this.output
      .slice(from)
      .split('\n')
      .filter((line) => /^\{.*"level":"(error|fatal)"/.test(line));
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && this.exitCode === undefined) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await this.database?.drop();
  }
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** One request on a keep-alive connection (fetch is slower and hides some framing). */
export function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: Uint8Array | string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : Buffer.from(body));
  });
}

/** Runs `work` for 0..count-1 with at most `concurrency` at once. */
export async function pool(
  count: number,
  concurrency: number,
  work: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** mulberry32: a small seeded PRNG, so a failing input is found again from the printed seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The tier's seed: ADVERSARIAL_SEED to replay a run, else a fresh one (printed on failure). */
export function tierSeed(): number {
  const given = process.env['ADVERSARIAL_SEED'];
  return given ? Number(given) : randomBytes(4).readUInt32BE(0);
}

/** Mutates bytes: bit flips, overwrites, inserts (CBOR headers with huge lengths too), cuts, splices. */
export function mutateBytes(base: Uint8Array, random: () => number): Uint8Array {
  const bytes = [...base];
  const rounds = 1 + Math.floor(random() * 4);
  const int = (n: number) => Math.floor(random() * n);
  const nasty = [
    [0x9f],
    [0xbf],
    [0x5f],
    [0x7f],
    [0xff],
    [0xc0],
    [0xd8, 0x12],
    [0xf7],
    [0xf9, 0x7e, 0x00],
    [0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    [0x5b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00],
    [0x9b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    [0xba, 0xff, 0xff, 0xff, 0xff],
    [0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  ];
  for (let r = 0; r < rounds; r++) {
    const at = bytes.length === 0 ? 0 : int(bytes.length);
    switch (int(7)) {
      case 0:
        if (bytes.length) bytes[at] = bytes[at]! ^ (1 << int(8));
        break;
      case 1:
        if (bytes.length) bytes[at] = int(256);
        break;
      case 2:
        bytes.splice(at, 0, ...nasty[int(nasty.length)]!);
        break;
      case 3:
        bytes.splice(at, 1 + int(8));
        break;
      case 4:
        bytes.length = at;
        break;
      case 5: {
        const from = int(bytes.length + 1);
        bytes.splice(at, 0, ...bytes.slice(from, from + 1 + int(16)));
        break;
      }
      default:
        bytes.splice(at, 0, ...Array.from({ length: 1 + int(8) }, () => int(256)));
    }
  }
  return Uint8Array.from(bytes);
}

/** Mutates text (JSON, XML): byte mutations, plus deep nesting and odd characters. */
export function mutateText(base: string, random: () => number): string {
  const int = (n: number) => Math.floor(random() * n);
  switch (int(8)) {
    case 0: {
      const depth = 1 + int(20_000);
      return base.replace(/:\s*/, `:${'['.repeat(depth)}${']'.repeat(depth)},"x":`);
    }
    case 1:
      return base.replace(
        /"[^"]*"/,
        `"${['\\u0000', '\\ud800', '%00', '\u202e', 'A'.repeat(100_000), '${jndi}', "'; DROP TABLE x;--"][int(7)]}"`,
      );
    case 2:
      return base.slice(0, int(base.length));
    case 3:
      return base.replace(
        /true|false|\d+/,
        ['null', '1e309', '-0', '"x"', '{}', '[]', '9007199254740993'][int(7)]!,
      );
    default:
      return Buffer.from(mutateBytes(Buffer.from(base, 'utf8'), random)).toString('latin1');
  }
}

/** A sample JSON value for an OpenAPI (JSON Schema) schema: required and optional members filled. */
export function sample(schema: Record<string, unknown> | undefined, depth = 0): unknown {
  if (!schema || depth > 6) return null;
  if (Array.isArray(schema['enum'])) return schema['enum'][0];
  if ('default' in schema) return schema['default'];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options)) return sample(options[0] as Record<string, unknown>, depth + 1);
  }
  switch (schema['type']) {
    case 'object': {
      const props = (schema['properties'] ?? {}) as Record<string, Record<string, unknown>>;
      return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, sample(v, depth + 1)]));
    }
    case 'array':
      return [sample(schema['items'] as Record<string, unknown>, depth + 1)];
    case 'integer':
    case 'number':
      return typeof schema['minimum'] === 'number' ? schema['minimum'] : 1;
    case 'boolean':
      return true;
    case 'string': {
      if (schema['format'] === 'uuid') return '00000000-0000-4000-8000-000000000000';
      if (schema['format'] === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
      if (schema['format'] === 'uri') return 'https://example.com/x';
      const min = typeof schema['minLength'] === 'number' ? schema['minLength'] : 1;
      return 'fuzz-value'.padEnd(min, 'x');
    }
    default:
      return null;
  }
}
