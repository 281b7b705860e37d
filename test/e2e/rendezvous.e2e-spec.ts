import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDeviceSim, type SimIo } from '@ztp/device-sim';
import { verifyTo1dOwner } from '@ztp/fdo-client';
import { createTestDatabase, type TestDatabase } from '@ztp/persistence';
import { readVoucher, voucherOwnerKey } from '@ztp/protocol';

/**
 * Automatic TO0 end to end, on `npm start` (all apps and the worker in one process, as a user runs
 * it; DATABASE_URL and REDIS_URL when set, as in CI): the demo seed's manufacturer and owner ->
 * `device-sim di` -> the assignment rule hands the voucher to the owner -> the worker's TO0 scan
 * registers it at the rendezvous app named in the voucher -> `device-sim to1` receives the owner's
 * onboarding address in a to1d the owner signed -> after TO2 the device is onboarded and TO0 stops.
 */

const REPO_ROOT = new URL('../../', import.meta.url).pathname;
const START_BUDGET_MS = 90_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

class Launcher {
  private readonly child: ChildProcess;
  output = '';
  private exitCode: number | null | undefined;

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn(
      process.execPath,
      ['--import', '@swc-node/register/esm-register', 'apps/standalone/src/main.ts'],
      { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.on('exit', (code) => (this.exitCode = code));
  }

  async ready(): Promise<void> {
    const deadline = Date.now() + START_BUDGET_MS;
    while (Date.now() < deadline) {
      if (this.exitCode !== undefined)
        throw new Error(`The launcher exited with ${this.exitCode}:\n${this.output}`);
      if (this.output.includes('Ready in')) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`Not ready within ${START_BUDGET_MS} ms:\n${this.output}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** device-sim in this process, its output collected. */
async function deviceSim(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: SimIo = { stdout: (t) => (out += t), stderr: (t) => (err += t), interactive: false };
  const code = await runDeviceSim(args, io);
  return { code, out, err };
}

/** `node bin/device-sim.js ...`: the command as users run it. */
async function deviceSimCli(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/device-sim.js'), ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, out };
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

describe(`automatic TO0 end to end (${process.env['DATABASE_URL'] ? 'DATABASE_URL' : 'embedded PostgreSQL'}${
  process.env['REDIS_URL'] ? ', Redis' : ''
})`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-e2e-rendezvous-'));
  const credential = join(dataDir, 'device-credential.json');
  const route = join(dataDir, 'to1-route.json');
  const urls = { rendezvous: '', voucher: '', onboarding: '' };
  let onboardingPort = 0;
  let database: TestDatabase | undefined;
  let launcher: Launcher | undefined;
  let operatorKey = '';
  let ownerKey = '';
  let guid = '';

  beforeAll(async () => {
    const [rendezvous, voucher, onboarding] = [await freePort(), await freePort(), await freePort()];
    onboardingPort = onboarding;
    urls.rendezvous = `http://127.0.0.1:${rendezvous}`;
    urls.voucher = `http://127.0.0.1:${voucher}`;
    urls.onboarding = `http://127.0.0.1:${onboarding}`;
    const { DATABASE_URL: serverUrl, REDIS_URL: redisUrl, ...inherited } = process.env;
    const env: NodeJS.ProcessEnv = {
      ...inherited,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      RENDEZVOUS_PORT: String(rendezvous),
      VOUCHER_SERVICE_PORT: String(voucher),
      OWNER_ONBOARDING_PORT: String(onboarding),
      QUEUE_PREFIX: `e2e${randomBytes(4).toString('hex')}`,
      DEMO_SEED: 'on',
      RENDEZVOUS_DEFAULT_POLICY: 'open',
      TO0_SCAN_INTERVAL_SECONDS: '1',
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    };
    if (serverUrl) {
      database = await createTestDatabase({ migrate: false });
      env['DATABASE_URL'] = database.url;
      env['KEY_CUSTODY_MASTER_KEY'] = randomBytes(32).toString('base64');
    }
    launcher = new Launcher(env);
    await launcher.ready();
    operatorKey = /operator API key:\s+(ztp_\S+)/.exec(launcher.output)?.[1] ?? '';
    ownerKey = /demo-owner \([0-9a-f-]+\)\n\s+admin API key:\s+(ztp_\S+)/.exec(launcher.output)?.[1] ?? '';
    expect(operatorKey && ownerKey, launcher.output).toBeTruthy();
  });

  afterAll(async () => {
    await launcher?.stop();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('simulator DI -> voucher at the owner -> TO0 job registers -> simulator TO1 gets the owner address', async () => {
    const di = await deviceSim(['di', '--url', urls.voucher, '--credential', credential, '--json']);
    expect(di.code, di.err).toBe(0);
    guid = (JSON.parse(di.out) as { guid: string }).guid;

    // Until the worker has registered the voucher, TO1 answers 6 (not found).
    const to1 = await eventually('TO1 to find the owner', async () => {
      const run = await deviceSim(['to1', '--credential', credential, '--save', route, '--json']);
      if (run.code === 0) return JSON.parse(run.out) as Record<string, unknown>;
      expect(run.err).toMatch(/FDO (error )?6 /);
      return undefined;
    });
    expect(to1).toMatchObject({
      event: 'to1',
      guid,
      rendezvous: urls.rendezvous,
      bypass: false,
      to2Addresses: [{ ip: '127.0.0.1', dns: null, port: onboardingPort, protocol: 'http' }],
      to2Urls: [urls.onboarding],
    });
    expect(existsSync(route)).toBe(true);

    // The same through the real CLI, printing the owner's address.
    const cli = await deviceSimCli([
      'to1',
      '--credential',
      credential,
      '--rv-url',
      urls.rendezvous,
      '--save',
      route,
    ]);
    expect(cli.code, cli.out).toBe(0);
    expect(cli.out).toContain(`http 127.0.0.1:${onboardingPort}`);

    // The ledger shows the TO0 state per device; the rendezvous admin API shows the registration,
    // whose to1d (handed to the device verbatim) the voucher's owner signed.
    const status = (await (
      await fetch(`${urls.voucher}/v1/devices/${guid}`, { headers: { authorization: `Bearer ${ownerKey}` } })
    ).json()) as { to0: { rvUrl: string; status: string; registeredUntil: string }[] };
    expect(status.to0).toMatchObject([{ rvUrl: urls.rendezvous, status: 'registered' }]);
    expect(new Date(status.to0[0]!.registeredUntil).getTime()).toBeGreaterThan(Date.now());
    const registration = (await (
      await fetch(`${urls.rendezvous}/v1/rendezvous/registrations/${guid}`, {
        headers: { authorization: `Bearer ${operatorKey}` },
      })
    ).json()) as { voucherPem: string; to1d: string; to2Addresses: unknown[] };
    const saved = JSON.parse(readFileSync(route, 'utf8')) as { to1d: string };
    expect(Buffer.from(registration.to1d, 'base64').toString('hex')).toBe(saved.to1d);
    const to1d = new Uint8Array(Buffer.from(saved.to1d, 'hex'));
    expect(verifyTo1dOwner(to1d, voucherOwnerKey(readVoucher(registration.voucherPem)))).toBe(true);
  });

  it('stops TO0 once the device has onboarded (TO2 with the owner found by TO1)', async () => {
    const to2 = await deviceSim(['to2', '--credential', credential, '--to1', route, '--json']);
    expect(to2.code, to2.err).toBe(0);
    const onboarded = to2.out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; guid?: string })
      .find((event) => event.event === 'onboarded')!;
    expect(onboarded.guid).not.toBe(guid);
    // The replacement voucher of an onboarded device gets no TO0...
    const status = (await (
      await fetch(`${urls.voucher}/v1/devices/${onboarded.guid}`, {
        headers: { authorization: `Bearer ${ownerKey}` },
      })
    ).json()) as { voucher: { guid: string; status: string }; to0: unknown[] };
    expect(status.voucher).toMatchObject({ guid: onboarded.guid, status: 'active' });
    expect(status.to0).toEqual([]);
    // ...and the next scans stop the original voucher's TO0 (its state is read from the database,
    // reachable here only on DATABASE_URL; the embedded one lives inside the launcher).
    if (database) {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        await eventually('TO0 to stop', async () => {
          const { rows } = await client.query<{ status: string }>(
            'SELECT status FROM to0_state WHERE guid = $1',
            [guid],
          );
          return rows.length > 0 && rows.every((row) => row.status === 'stopped') ? rows : undefined;
        });
      } finally {
        await client.end();
      }
    }
  });
});
