import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '@ztp/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  interpolate,
  MissingVariableError,
  parseEnvFile,
  referencedVariables,
  requiredVariables,
} from './compose-interpolation';
import {
  arr,
  DEPLOY_DIR,
  envExampleSections,
  HTTP_APPS,
  KNOWN_VARIABLES,
  obj,
  readText,
  readYaml,
  REPO_ROOT,
  RUNTIME_VARIABLES,
  str,
} from './deploy-files';

const COMPOSE_FILE = 'deploy/docker-compose.yml';
const compose = obj(readYaml(COMPOSE_FILE), COMPOSE_FILE);
const services = obj(compose['services'], 'services');
const service = (name: string) => obj(services[name], `services.${name}`);
const ZTP_SERVICES = [...HTTP_APPS.map((app) => app.name), 'worker', 'migrate', 'bootstrap'];
const MASTER_KEY = randomBytes(32).toString('base64');
const RENDEZVOUS_URL = 'https://rv.example.net';
const OWNER_ONBOARDING_URL = 'https://owner.example.net';
/** What an operator must put in deploy/.env: the file has no default for these. */
const REQUIRED = {
  KEY_CUSTODY_MASTER_KEY: MASTER_KEY,
  RENDEZVOUS_PUBLIC_URL: RENDEZVOUS_URL,
  OWNER_ONBOARDING_PUBLIC_URL: OWNER_ONBOARDING_URL,
};

/**
 * A service's environment as the container receives it from deploy/.env (`env`, with only the
 * required variables by default): compose interpolates `environment` from it, and env_file passes
 * every variable of it too, with `environment` winning where both name one.
 */
function resolvedEnvironment(name: string, env: Record<string, string> = REQUIRED) {
  const raw = obj(service(name)['environment'], `${name}.environment`);
  const envFiles = arr(service(name)['env_file'], `${name}.env_file`).map((entry) =>
    str(obj(entry, 'env_file')['path'], 'env_file.path'),
  );
  expect(envFiles, `${name} reads deploy/.env`).toEqual(['.env']);
  return {
    ...env,
    ...Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, interpolate(String(value), env)])),
  };
}

function durationSeconds(value: string): number {
  const match = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (!match || value === '') throw new Error(`unreadable duration ${value}`);
  return Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0);
}

/** voucher-service -> voucherService, the key of the app in the loaded configuration. */
function configKey(name: string): keyof ReturnType<typeof loadConfig>['apps'] {
  return name.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase()) as keyof ReturnType<
    typeof loadConfig
  >['apps'];
}

function majorVersion(image: string): number {
  return Number(/:(\d+)/.exec(image)?.[1]);
}

describe('deploy/docker-compose.yml', () => {
  it('defines Postgres 16+, Redis 7, the migrate job, the three apps and the worker', () => {
    expect(Object.keys(services).sort()).toEqual([...ZTP_SERVICES, 'postgres', 'redis'].sort());
    expect(majorVersion(str(service('postgres')['image'], 'postgres.image'))).toBeGreaterThanOrEqual(16);
    expect(majorVersion(str(service('redis')['image'], 'redis.image'))).toBe(7);
    expect(str(compose['name'], 'name')).toBe('ztp-onboarding');
  });

  it('health-checks Postgres and Redis, and runs Redis without eviction (BullMQ loses jobs otherwise)', () => {
    expect(arr(obj(service('postgres')['healthcheck'], 'pg').test, 'pg.test').join(' ')).toContain(
      'pg_isready',
    );
    expect(arr(obj(service('redis')['healthcheck'], 'redis').test, 'redis.test')).toEqual([
      'CMD',
      'redis-cli',
      'ping',
    ]);
    expect(arr(service('redis')['command'], 'redis.command').join(' ')).toContain(
      '--maxmemory-policy noeviction',
    );
  });

  it('builds every ZTP service from deploy/Dockerfile at the repository root, as one image', () => {
    const images = new Set<string>();
    for (const name of ZTP_SERVICES) {
      const build = obj(service(name)['build'], `${name}.build`);
      expect(resolve(DEPLOY_DIR, str(build['context'], 'context'))).toBe(resolve(REPO_ROOT));
      expect(build['dockerfile']).toBe('deploy/Dockerfile');
      images.add(interpolate(str(service(name)['image'], `${name}.image`), {}));
    }
    expect([...images]).toEqual(['ztp-onboarding:local']);
  });

  it('selects each service with APP and gives it only variables libs/config knows', () => {
    for (const name of ZTP_SERVICES) {
      const env = resolvedEnvironment(name);
      expect(env['APP']).toBe(name);
      const unknown = Object.keys(env).filter(
        (key) => !KNOWN_VARIABLES.has(key) && !RUNTIME_VARIABLES.has(key),
      );
      expect(unknown, `${name}: variables libs/config does not read`).toEqual([]);
    }
  });

  it('hands each service an environment that libs/config accepts, pointing at the compose Postgres and Redis', () => {
    for (const name of ZTP_SERVICES) {
      const config = loadConfig(resolvedEnvironment(name));
      expect(config.nodeEnv).toBe('production');
      expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://ztp:ztp@postgres:5432/ztp' });
      expect(config.queue).toMatchObject({ kind: 'redis', url: 'redis://redis:6379' });
      expect(config.http.host).toBe('0.0.0.0');
      expect(config.keyCustody).toEqual({ masterKey: MASTER_KEY, source: 'environment' });
      expect(config.apps.rendezvous.publicUrl).toBe(RENDEZVOUS_URL);
    }
  });

  it('lets deploy/.env set every variable of .env.example, for every ZTP service', () => {
    const variables = envExampleSections().flatMap((section) => section.variables);
    expect(variables.length).toBeGreaterThan(50);
    for (const name of ZTP_SERVICES) {
      for (const variable of variables) {
        const value = `value-of-${variable}`;
        expect(
          resolvedEnvironment(name, { ...REQUIRED, [variable]: value })[variable],
          `${name} ${variable}`,
        ).toBe(value);
      }
    }
  });

  it('starts every service with .env.example itself as deploy/.env (plus the required values)', () => {
    const example = parseEnvFile(readText('.env.example'));
    for (const name of ZTP_SERVICES) {
      const env = resolvedEnvironment(name, { ...example, ...REQUIRED, NODE_ENV: 'production' });
      const config = loadConfig(env);
      expect(config.apps.ownerOnboarding.publicUrl).toBe(OWNER_ONBOARDING_URL);
      expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://ztp:ztp@postgres:5432/ztp' });
    }
  });

  it('interpolates only variables of .env.example, plus its own (bundled Postgres, image)', () => {
    const own = new Set(['POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB', 'ZTP_IMAGE']);
    const referenced = new Set(referencedVariables(readText(COMPOSE_FILE).replace(/^\s*#.*$/gm, '')));
    const unknown = [...referenced].filter((name) => !KNOWN_VARIABLES.has(name) && !own.has(name));
    expect(unknown).toEqual([]);
  });

  it('publishes each app on the port deploy/.env gives it', () => {
    for (const app of HTTP_APPS) {
      const ports = arr(service(app.name)['ports'], 'ports').map((p) =>
        interpolate(String(p), { ...REQUIRED, [app.portVariable]: '9443' }),
      );
      expect(ports).toEqual(['9443:9443']);
      expect(
        resolvedEnvironment(app.name, { ...REQUIRED, [app.portVariable]: '9443' })[app.portVariable],
      ).toBe('9443');
    }
  });

  it('refuses to start without a master key instead of inventing one', () => {
    const raw = str(obj(service('migrate')['environment'], 'env')['KEY_CUSTODY_MASTER_KEY'], 'key');
    expect(requiredVariables(raw)).toEqual(['KEY_CUSTODY_MASTER_KEY']);
    expect(() => resolvedEnvironment('rendezvous', { RENDEZVOUS_PUBLIC_URL: RENDEZVOUS_URL })).toThrow(
      MissingVariableError,
    );
  });

  it('has no localhost default for the rendezvous URL devices are given at DI', () => {
    const raw = str(obj(service('migrate')['environment'], 'env')['RENDEZVOUS_PUBLIC_URL'], 'url');
    expect(requiredVariables(raw)).toEqual(['RENDEZVOUS_PUBLIC_URL']);
    expect(() => resolvedEnvironment('voucher-service', { KEY_CUSTODY_MASTER_KEY: MASTER_KEY })).toThrow(
      MissingVariableError,
    );
  });

  it('publishes each app on its configured port and checks readiness with the image script', () => {
    for (const app of HTTP_APPS) {
      const definition = service(app.name);
      const env = resolvedEnvironment(app.name);
      expect(Number(env[app.portVariable])).toBe(app.defaultPort);
      expect(loadConfig(env).apps[configKey(app.name)].port).toBe(app.defaultPort);
      expect(
        arr(definition['ports'], `${app.name}.ports`).map((p) => interpolate(String(p), REQUIRED)),
      ).toEqual([`${app.defaultPort}:${app.defaultPort}`]);
      const healthcheck = obj(definition['healthcheck'], `${app.name}.healthcheck`);
      expect(healthcheck['test']).toEqual(['CMD', 'node', '/usr/local/lib/ztp/healthcheck.mjs']);
      expect(durationSeconds(str(healthcheck['start_period'], 'start_period'))).toBeGreaterThanOrEqual(30);
    }
    for (const name of ['migrate', 'bootstrap']) {
      expect(service(name)['ports'], `${name} listens on nothing`).toBeUndefined();
      expect(service(name)['healthcheck']).toEqual({ disable: true });
    }
    // The worker's probes and metrics on WORKER_PORT.
    expect(loadConfig(resolvedEnvironment('worker')).http.workerPort).toBe(8043);
    expect(service('worker')['ports']).toEqual(['${WORKER_PORT:-8043}:${WORKER_PORT:-8043}']);
    expect(obj(service('worker')['healthcheck'], 'worker.healthcheck')['test']).toEqual([
      'CMD',
      'node',
      '/usr/local/lib/ztp/healthcheck.mjs',
    ]);
  });

  it('starts the apps and the worker only after healthy storage and a successful migration', () => {
    for (const name of [...HTTP_APPS.map((app) => app.name), 'worker']) {
      expect(service(name)['depends_on'], name).toEqual({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        bootstrap: { condition: 'service_completed_successfully' },
      });
    }
    expect(service('migrate')['depends_on']).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(service('bootstrap')['depends_on']).toEqual({
      postgres: { condition: 'service_healthy' },
      migrate: { condition: 'service_completed_successfully' },
    });
    expect(service('migrate')['restart']).toBe('no');
    expect(service('bootstrap')['restart']).toBe('no');
  });

  it('runs read-only with /tmp writable and lets the apps finish their graceful stop', () => {
    for (const name of ZTP_SERVICES) {
      const definition = service(name);
      expect(definition['read_only'], name).toBe(true);
      expect(definition['tmpfs'], name).toEqual(['/tmp']);
      expect(definition['init'], name).toBe(true);
      const graceSeconds = durationSeconds(str(definition['stop_grace_period'], 'stop_grace_period'));
      const shutdownMs = loadConfig(resolvedEnvironment(name)).http.shutdownTimeoutMs;
      expect(graceSeconds * 1000, name).toBeGreaterThan(shutdownMs);
    }
  });
});

/**
 * The compose CLI's own validation (schema, interpolation, merge keys). Docker Compose v2
 * (`docker compose`) is preferred; v1 (`docker-compose`, Debian's package) predates the top-level
 * `name`, so for v1 that one line is removed first. Skipped when neither is installed.
 */
function composeCli(): { command: string; args: string[]; stripName: boolean } | undefined {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) {
    return { command: 'docker', args: ['compose'], stripName: false };
  }
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) {
    return { command: 'docker-compose', args: [], stripName: true };
  }
  return undefined;
}

const cli = composeCli();
describe.skipIf(cli === undefined)(
  `compose CLI validation (${cli?.command ?? 'no compose CLI installed'})`,
  () => {
    let workDir: string;
    beforeAll(() => {
      workDir = mkdtempSync(join(tmpdir(), 'ztp-compose-'));
    });
    afterAll(() => rmSync(workDir, { recursive: true, force: true }));

    function runConfig(env: Record<string, string>) {
      // A copy beside no .env file, so a developer's deploy/.env cannot change the outcome.
      mkdirSync(join(workDir, 'deploy'), { recursive: true });
      const file = join(workDir, 'deploy', 'docker-compose.yml');
      const text = readText(COMPOSE_FILE);
      writeFileSync(file, cli?.stripName ? text.replace(/^name: .*\n/m, '') : text);
      return spawnSync(cli?.command ?? '', [...(cli?.args ?? []), '-f', file, 'config'], {
        encoding: 'utf8',
        env: { PATH: process.env['PATH'] ?? '', HOME: workDir, ...env },
      });
    }

    it('accepts the file and resolves the environment of every service', () => {
      const result = runConfig(REQUIRED);
      expect(result.stderr).not.toMatch(/error|invalid/i);
      expect(result.status).toBe(0);
      const resolved = obj(obj(parseYaml(result.stdout), 'config')['services'], 'services');
      for (const name of ZTP_SERVICES) {
        const env = obj(obj(resolved[name], name)['environment'], `${name}.environment`);
        expect(env['KEY_CUSTODY_MASTER_KEY']).toBe(MASTER_KEY);
        expect(env['APP']).toBe(name);
      }
    });

    it('rejects the file when KEY_CUSTODY_MASTER_KEY or a device-facing public URL is not set', () => {
      for (const missing of Object.keys(REQUIRED)) {
        const result = runConfig(
          Object.fromEntries(Object.entries(REQUIRED).filter(([name]) => name !== missing)),
        );
        expect(result.status, missing).not.toBe(0);
        expect(result.stderr).toContain(missing);
      }
    });
  },
);
