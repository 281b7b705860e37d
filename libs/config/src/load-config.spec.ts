import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, environmentVariables, loadConfig } from './index';

const KEY = randomBytes(32).toString('base64');

describe('loadConfig', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ztp-config-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  function problemsOf(env: NodeJS.ProcessEnv): string {
    try {
      loadConfig({ DATA_DIR: dataDir, ...env });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('expected loadConfig to throw');
  }

  it('gives embedded defaults for an empty environment', () => {
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config.nodeEnv).toBe('development');
    expect(config.logLevel).toBe('info');
    expect(config.database).toEqual({ kind: 'embedded', dataDir: join(dataDir, 'postgres') });
    expect(config.queue).toEqual({ kind: 'postgres', prefix: 'ztp' });
    expect(config.http).toEqual({
      host: '127.0.0.1',
      maxBodyBytes: 1048576,
      shutdownTimeoutMs: 10000,
      workerPort: 8043,
    });
    expect(config.apps.rendezvous).toEqual({ port: 8040, publicUrl: 'http://127.0.0.1:8040' });
    expect(config.apps.voucherService).toEqual({ port: 8041, publicUrl: 'http://127.0.0.1:8041' });
    expect(config.apps.ownerOnboarding).toEqual({ port: 8042, publicUrl: 'http://127.0.0.1:8042' });
    expect(config.keyCustody.source).toBe('file');
  });

  it('reads external servers and binds to all interfaces then', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://app:secret@db:5432/ztp',
      REDIS_URL: 'rediss://cache:6380/2',
      KEY_CUSTODY_MASTER_KEY: KEY,
      RENDEZVOUS_PUBLIC_URL: 'https://rv.example.com/',
      QUEUE_PREFIX: 'tenant-a',
    });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://app:secret@db:5432/ztp' });
    expect(config.queue).toEqual({ kind: 'redis', url: 'rediss://cache:6380/2', prefix: 'tenant-a' });
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.apps.rendezvous.publicUrl).toBe('https://rv.example.com');
    expect(config.keyCustody).toEqual({ masterKey: KEY, source: 'environment' });
  });

  it('keeps webhook targets to public addresses except on the embedded database, unless told', () => {
    const server = { DATABASE_URL: 'postgres://db/ztp', KEY_CUSTODY_MASTER_KEY: KEY };
    expect(loadConfig({ DATA_DIR: dataDir }).ledger.webhookTargets).toEqual({
      allowPrivate: true,
      allowedCidrs: [],
    });
    expect(loadConfig(server).ledger.webhookTargets).toEqual({ allowPrivate: false, allowedCidrs: [] });
    expect(
      loadConfig({ ...server, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'on' }).ledger.webhookTargets.allowPrivate,
    ).toBe(true);
    expect(
      loadConfig({
        DATA_DIR: dataDir,
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'off',
        WEBHOOK_ALLOWED_CIDRS: '10.20.0.0/16, fd00:20::/64',
      }).ledger.webhookTargets,
    ).toEqual({ allowPrivate: false, allowedCidrs: ['10.20.0.0/16', 'fd00:20::/64'] });
    expect(problemsOf({ WEBHOOK_ALLOWED_CIDRS: '10.0.0.0/33' })).toContain('WEBHOOK_ALLOWED_CIDRS must be');
    expect(problemsOf({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'yes' })).toContain(
      'WEBHOOK_ALLOW_PRIVATE_TARGETS must be one of auto, on, off',
    );
  });

  it('treats empty values as unset and resolves a relative DATA_DIR', () => {
    const config = loadConfig({
      DATABASE_URL: '',
      REDIS_URL: '',
      LOG_LEVEL: '',
      KEY_CUSTODY_MASTER_KEY: KEY,
    });
    expect(config.database.kind).toBe('embedded');
    expect(config.logLevel).toBe('info');
    expect(config.dataDir).toBe(resolve('./.data'));
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.apps.rendezvous)).toBe(true);
    expect(() => {
      (config.http as { host: string }).host = 'x';
    }).toThrow(TypeError);
  });

  it.each([
    [{ REDIS_URL: 'x' }, 'Invalid configuration: REDIS_URL must be a redis:// or rediss:// URL (got "x")'],
    [{ DATABASE_URL: 'mysql://db/x', KEY_CUSTODY_MASTER_KEY: KEY }, 'DATABASE_URL must be a postgres:// or'],
    [{ RENDEZVOUS_PORT: '70000' }, 'RENDEZVOUS_PORT must be an integer between 1 and 65535 (got "70000")'],
    [{ VOUCHER_SERVICE_PORT: '80.5' }, 'VOUCHER_SERVICE_PORT must be an integer between 1 and 65535'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent'],
    [{ NODE_ENV: 'prod' }, 'NODE_ENV must be one of development, test, production (got "prod")'],
    [{ HOST: 'not a host' }, 'HOST must be an IP address or host name (got "not a host")'],
    [
      { OWNER_ONBOARDING_PUBLIC_URL: 'ftp://x' },
      'OWNER_ONBOARDING_PUBLIC_URL must be a http:// or https:// URL',
    ],
    [{ MAX_BODY_BYTES: '10' }, 'MAX_BODY_BYTES must be an integer between 1024 and 67108864 (got "10")'],
    [{ SHUTDOWN_TIMEOUT_MS: '-1' }, 'SHUTDOWN_TIMEOUT_MS must be an integer between 100 and 600000'],
    [{ QUEUE_PREFIX: '1abc' }, 'QUEUE_PREFIX must start with a letter'],
    [{ OWNER_ONBOARDING_PORT: '8040' }, 'OWNER_ONBOARDING_PORT must differ from RENDEZVOUS_PORT'],
  ])('rejects %j', (env, expected) => {
    expect(problemsOf(env)).toContain(expected);
  });

  it('requires a master key when DATABASE_URL is set', () => {
    expect(problemsOf({ DATABASE_URL: 'postgres://db/ztp' })).toBe(
      'Invalid configuration: KEY_CUSTODY_MASTER_KEY is required when DATABASE_URL is set (base64 of 32 random bytes)',
    );
  });

  it('keeps long-lived keys in software by default and in a PKCS#11 token when told, with module, token and PIN file', () => {
    expect(loadConfig({ DATA_DIR: dataDir }).keyCustodyLongLived).toEqual({ kind: 'software' });
    expect(problemsOf({ KEY_CUSTODY: 'pkcs11' })).toMatch(
      /KEY_CUSTODY_PKCS11_MODULE is required when KEY_CUSTODY=pkcs11/,
    );
    expect(problemsOf({ KEY_CUSTODY: 'pkcs11' })).toMatch(/KEY_CUSTODY_PKCS11_PIN_FILE is required/);
    expect(problemsOf({ KEY_CUSTODY: 'pkcs11' })).toMatch(
      /KEY_CUSTODY_PKCS11_TOKEN_LABEL or KEY_CUSTODY_PKCS11_SLOT/,
    );
    const both = {
      KEY_CUSTODY: 'pkcs11',
      KEY_CUSTODY_PKCS11_MODULE: '/m.so',
      KEY_CUSTODY_PKCS11_PIN_FILE: '/pin',
    };
    expect(
      problemsOf({ ...both, KEY_CUSTODY_PKCS11_TOKEN_LABEL: 'a', KEY_CUSTODY_PKCS11_SLOT: '3' }),
    ).toMatch(/exactly one/);
    expect(
      loadConfig({ DATA_DIR: dataDir, ...both, KEY_CUSTODY_PKCS11_SLOT: '0' }).keyCustodyLongLived,
    ).toEqual({
      kind: 'pkcs11',
      modulePath: '/m.so',
      tokenLabel: undefined,
      slotId: 0,
      pinFile: '/pin',
    });
    expect(problemsOf({ KEY_CUSTODY: 'hsm' })).toMatch(/KEY_CUSTODY/);
  });

  it('reads the master key version and the previous master keys kept for unsealing, never echoing them', () => {
    const old = randomBytes(32).toString('base64');
    const config = loadConfig({
      DATA_DIR: dataDir,
      KEY_CUSTODY_MASTER_KEY: KEY,
      KEY_CUSTODY_MASTER_KEY_VERSION: '3',
      KEY_CUSTODY_PREVIOUS_MASTER_KEYS: `1:${old}, 2:${KEY}`,
    });
    expect(config.keyCustodyMasterKeys).toEqual({
      currentVersion: 3,
      previous: [
        { version: 1, key: old },
        { version: 2, key: KEY },
      ],
    });
    expect(loadConfig({ DATA_DIR: dataDir }).keyCustodyMasterKeys).toEqual({
      currentVersion: 1,
      previous: [],
    });
    expect(problemsOf({ KEY_CUSTODY_PREVIOUS_MASTER_KEYS: `1:${old}` })).toMatch(
      /KEY_CUSTODY_PREVIOUS_MASTER_KEYS must not repeat KEY_CUSTODY_MASTER_KEY_VERSION/,
    );
    const bad = problemsOf({ KEY_CUSTODY_PREVIOUS_MASTER_KEYS: `2:${old},2:${old}` });
    expect(bad).toMatch(/names version 2 twice/);
    expect(bad).not.toContain(old);
    expect(problemsOf({ KEY_CUSTODY_PREVIOUS_MASTER_KEYS: '0:abc' })).toMatch(/version:base64/);
  });

  it('refuses production on the embedded database with a generated master key (it would sit beside the data)', () => {
    const embeddedProduction = {
      NODE_ENV: 'production',
      RENDEZVOUS_PUBLIC_URL: 'https://rv.example',
      OWNER_ONBOARDING_PUBLIC_URL: 'https://owner.example',
    };
    expect(problemsOf(embeddedProduction)).toMatch(
      /KEY_CUSTODY_MASTER_KEY is required when NODE_ENV=production: without it the embedded mode generates the master key into DATA_DIR\/master.key/,
    );
    expect(
      loadConfig({ DATA_DIR: dataDir, ...embeddedProduction, KEY_CUSTODY_MASTER_KEY: KEY }).keyCustody.source,
    ).toBe('environment');
  });

  it('refuses the open rendezvous policy in production on a PostgreSQL server', () => {
    expect(
      problemsOf({
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://db/ztp',
        KEY_CUSTODY_MASTER_KEY: KEY,
        RENDEZVOUS_PUBLIC_URL: 'https://rv.example',
        RENDEZVOUS_DEFAULT_POLICY: 'open',
      }),
    ).toMatch(/RENDEZVOUS_DEFAULT_POLICY must not be open when NODE_ENV=production on a PostgreSQL server/);
  });

  it('refuses production without the public URL devices are given, never falling back to 127.0.0.1', () => {
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/ztp',
      KEY_CUSTODY_MASTER_KEY: KEY,
    };
    expect(problemsOf({ ...production, OWNER_ONBOARDING_PUBLIC_URL: 'https://owner.example' })).toBe(
      'Invalid configuration: RENDEZVOUS_PUBLIC_URL is required when NODE_ENV=production (it goes into the ' +
        'RendezvousInfo written at DI and the rendezvous directives); set it to the URL devices reach',
    );
    expect(problemsOf({ ...production, RENDEZVOUS_PUBLIC_URL: 'https://rv.example' })).toBe(
      'Invalid configuration: OWNER_ONBOARDING_PUBLIC_URL is required when NODE_ENV=production (it goes ' +
        'into the CRL and OCSP URLs of issued device certificates); set it to the URL devices reach',
    );
    expect(problemsOf(production)).toMatch(/RENDEZVOUS_PUBLIC_URL .*; OWNER_ONBOARDING_PUBLIC_URL /);
    expect(
      problemsOf({ ...production, RENDEZVOUS_PUBLIC_URL: 'https://rv.example', DEMO_SEED: 'on' }),
    ).toMatch(/OWNER_ONBOARDING_PUBLIC_URL is required .*demo owner's TO0 address/);
    const config = loadConfig({
      ...production,
      RENDEZVOUS_PUBLIC_URL: 'https://rv.example',
      OWNER_ONBOARDING_PUBLIC_URL: 'https://owner.example',
    });
    expect(config.apps.rendezvous.publicUrl).toBe('https://rv.example');
    expect(loadConfig({ ...production, NODE_ENV: 'development' }).apps.rendezvous.publicUrl).toBe(
      'http://127.0.0.1:8040',
    );
  });

  it('takes a bootstrap operator key in the API key format, never echoing it, or a file, not both', () => {
    const key = `ztp_0123456789ab_${'A'.repeat(43)}`;
    expect(loadConfig({ BOOTSTRAP_OPERATOR_API_KEY: key }).bootstrap).toEqual({
      operatorApiKey: key,
      operatorApiKeyFile: undefined,
      rendezvousTrustedKeysFile: undefined,
    });
    const bad = problemsOf({ BOOTSTRAP_OPERATOR_API_KEY: 'hunter2-secret' });
    expect(bad).toMatch(/BOOTSTRAP_OPERATOR_API_KEY must be an API key as `npm run auth:operator-key`/);
    expect(bad).toContain('(got 14 characters)');
    expect(bad).not.toContain('hunter2');
    expect(
      problemsOf({ BOOTSTRAP_OPERATOR_API_KEY: key, BOOTSTRAP_OPERATOR_API_KEY_FILE: '/run/secrets/key' }),
    ).toMatch(/BOOTSTRAP_OPERATOR_API_KEY_FILE and BOOTSTRAP_OPERATOR_API_KEY are alternatives/);
  });

  it('never echoes a secret and hides URL passwords', () => {
    const message = problemsOf({ KEY_CUSTODY_MASTER_KEY: 'c2hvcnQ=', REDIS_URL: 'http://u:hunter2@cache' });
    expect(message).toContain('KEY_CUSTODY_MASTER_KEY must be base64 of exactly 32 bytes (got 8 characters)');
    expect(message).not.toContain('c2hvcnQ=');
    expect(message).toContain('REDIS_URL must be a redis:// or rediss:// URL (got "http://u:***@cache")');
    expect(message).not.toContain('hunter2');
  });

  it('reports every bad variable at once', () => {
    const message = problemsOf({ REDIS_URL: 'x', RENDEZVOUS_PORT: 'abc' });
    expect(message).toMatch(/REDIS_URL .*; RENDEZVOUS_PORT /);
  });

  describe('embedded master key file', () => {
    it('is generated once with owner-only permissions and reused', () => {
      const first = loadConfig({ DATA_DIR: dataDir });
      const file = join(dataDir, 'master.key');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(Buffer.from(first.keyCustody.masterKey, 'base64')).toHaveLength(32);
      expect(readFileSync(file, 'utf8').trim()).toBe(first.keyCustody.masterKey);
      expect(loadConfig({ DATA_DIR: dataDir }).keyCustody.masterKey).toBe(first.keyCustody.masterKey);
    });

    it('is refused when others can read it', () => {
      loadConfig({ DATA_DIR: dataDir });
      chmodSync(join(dataDir, 'master.key'), 0o644);
      expect(problemsOf({})).toContain('master.key must be readable by its owner only (mode 644)');
    });

    it('is refused when it does not hold 32 bytes', () => {
      writeFileSync(join(dataDir, 'master.key'), 'c2hvcnQ=\n', { mode: 0o600 });
      expect(problemsOf({})).toContain('master.key must hold base64 of exactly 32 bytes');
    });

    it('is not used when the variable is set', () => {
      expect(loadConfig({ DATA_DIR: dataDir, KEY_CUSTODY_MASTER_KEY: KEY }).keyCustody.source).toBe(
        'environment',
      );
      expect(() => statSync(join(dataDir, 'master.key'))).toThrow();
    });
  });
});

describe('.env.example', () => {
  it('documents every variable of the schema with a comment', () => {
    const example = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8').split('\n');
    for (const name of Object.keys(environmentVariables)) {
      const line = example.findIndex((l) => l.startsWith(`${name}=`));
      expect(line, `${name} is missing from .env.example`).toBeGreaterThan(0);
      const commented = example
        .slice(0, line)
        .reverse()
        .find((l) => !/^[A-Z_]+=/.test(l));
      expect(commented, `${name} has no comment in .env.example`).toMatch(/^# /);
    }
  });
});
