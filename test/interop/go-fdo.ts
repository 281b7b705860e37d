import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';

export const REPO_ROOT = new URL('../../', import.meta.url).pathname;

/**
 * go-fdo's example binary: GOFDO_BIN, else `<repo>/../shared/tools/go-fdo/fdo` (CI clones the repo
 * next to shared/). `fdo-resale` is expected beside it.
 */
export function goFdoBinary(): { fdo: string; resale: string } | { missing: string } {
  const fdo = process.env['GOFDO_BIN'] || resolve(REPO_ROOT, '..', 'shared', 'tools', 'go-fdo', 'fdo');
  if (!existsSync(fdo)) return { missing: `no go-fdo binary at ${fdo} (set GOFDO_BIN)` };
  return { fdo, resale: join(dirname(fdo), 'fdo-resale') };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

export interface RunResult {
  code: number | null;
  output: string;
}

/** Runs a program to its end (or kills it after `timeoutMs`), stdout and stderr together. */
export function run(
  program: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs?: number; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  return new Promise((done) => {
    const child = spawn(program, args, { cwd: options.cwd, env: options.env ?? process.env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      output += `\n[killed after ${options.timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

/**
 * go-fdo exits 0 even when a protocol run fails: a run succeeded when it printed no ERROR line and
 * `Success` (TO1/TO2), or "Credential not updated" (credential reuse); DI prints nothing at all
 * (then the blob's GUID, read afterwards, is the proof).
 */
export function goFdoSucceeded(result: RunResult, expect: 'Success' | 'Reuse' | 'DI' = 'Success'): boolean {
  if (/\bERROR\b/.test(result.output) || result.code !== 0) return false;
  if (expect === 'DI') return true;
  return expect === 'Success'
    ? /^Success$/m.test(result.output)
    : /Credential not updated/.test(result.output);
}

/** The GUID of a go-fdo device credential blob (`fdo client -print`). */
export async function blobGuid(fdo: string, dir: string): Promise<string> {
  const printed = await run(fdo, ['client', '-blob', 'dev.bin', '-print'], { cwd: dir });
  const guid = /GUID\s+([0-9a-f]{32})/.exec(printed.output)?.[1];
  if (!guid) throw new Error(`no GUID in fdo client -print:\n${printed.output}`);
  return guid;
}

/** A long-running child process (npm start, fdo server) whose output is kept for failure reports. */
export class Service {
  private readonly child: ChildProcess;
  private output = '';
  readonly exited: Promise<number | null>;

  constructor(program: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) {
    this.child = spawn(program, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on(
      'data',
      (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-200_000)),
    );
    this.child.stderr!.on(
      'data',
      (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-200_000)),
    );
    this.exited = new Promise((done) => this.child.on('exit', (code) => done(code)));
  }

  get log(): string {
    return this.output;
  }

  /** Waits until `ready()` holds, failing if the process exits first or `budgetMs` passes. */
  async until(ready: () => Promise<boolean>, budgetMs: number): Promise<void> {
    const started = Date.now();
    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    while (Date.now() - started < budgetMs) {
      if (exitCode !== undefined) throw new Error(`exited with ${exitCode}:\n${this.output.slice(-5000)}`);
      if (await ready().catch(() => false)) return;
      await new Promise((done) => setTimeout(done, 200));
    }
    throw new Error(`not ready within ${budgetMs} ms:\n${this.output.slice(-5000)}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** `npm start` on a fresh embedded database in `dataDir`, on free ports. */
export async function startEmbedded(dataDir: string): Promise<{
  service: Service;
  rendezvous: string;
  voucherService: string;
  ownerOnboarding: string;
  credentials: string;
}> {
  const [rv, vs, oo] = [await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    RENDEZVOUS_PORT: String(rv),
    VOUCHER_SERVICE_PORT: String(vs),
    OWNER_ONBOARDING_PORT: String(oo),
    LOG_LEVEL: 'warn',
  };
  delete env['DATABASE_URL'];
  delete env['REDIS_URL'];
  const service = new Service(
    process.execPath,
    ['--import', '@swc-node/register/esm-register', 'apps/standalone/src/main.ts'],
    { cwd: REPO_ROOT, env },
  );
  const urls = [rv, vs, oo].map((port) => `http://127.0.0.1:${port}`);
  await service.until(async () => {
    const answers = await Promise.all(urls.map((url) => fetch(`${url}/health`).then((res) => res.ok)));
    return answers.every(Boolean) && existsSync(join(dataDir, 'demo-credentials.txt'));
  }, 120_000);
  return {
    service,
    rendezvous: urls[0]!,
    voucherService: urls[1]!,
    ownerOnboarding: urls[2]!,
    credentials: readFileSync(join(dataDir, 'demo-credentials.txt'), 'utf8'),
  };
}

/** An API key from the demo credentials text: the operator's, or a tenant's admin key. */
export function demoKey(credentials: string, who: 'operator' | 'demo-owner' | 'demo-manufacturer'): string {
  const pattern =
    who === 'operator'
      ? /operator API key:\s+(\S+)/
      : new RegExp(`${who} \\([^)]*\\)\\n\\s+admin API key:\\s+(\\S+)`);
  const key = pattern.exec(credentials)?.[1];
  if (!key) throw new Error(`no ${who} key in the demo credentials`);
  return key;
}
