import { isIP } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import {
  base64Bytes,
  baseUrl,
  hexBytes,
  host,
  identifier,
  integer,
  oneOf,
  optionalText,
  port,
  text,
  url,
} from './environment-values';

/**
 * THE configuration schema: every environment variable the services read is declared here, once.
 *
 * To add a variable: add it to `environmentVariables` (with its parser and default), use it in
 * `toConfig` below (its place in the typed object), and document it in `.env.example` (a unit
 * test fails when a variable is missing there). Secrets must also be listed in `SECRET_VARIABLES`
 * so error messages never echo them.
 */
export const environmentVariables = {
  NODE_ENV: oneOf(['development', 'test', 'production'], 'development'),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),

  DATABASE_URL: url(['postgres', 'postgresql']),
  REDIS_URL: url(['redis', 'rediss']),
  DATA_DIR: text('./.data'),
  QUEUE_PREFIX: identifier('ztp'),

  HOST: host(),
  RENDEZVOUS_PORT: port(8040),
  VOUCHER_SERVICE_PORT: port(8041),
  OWNER_ONBOARDING_PORT: port(8042),
  /** The worker's /health, /health/ready and /metrics (the worker run alone; `npm start` serves none). */
  WORKER_PORT: port(8043),
  RENDEZVOUS_PUBLIC_URL: baseUrl(),
  VOUCHER_SERVICE_PUBLIC_URL: baseUrl(),
  OWNER_ONBOARDING_PUBLIC_URL: baseUrl(),
  MAX_BODY_BYTES: integer(1024, 64 * 1024 * 1024, 1024 * 1024),
  SHUTDOWN_TIMEOUT_MS: integer(100, 600_000, 10_000),

  KEY_CUSTODY_MASTER_KEY: base64Bytes(32),
  KEY_CUSTODY_MASTER_KEY_VERSION: integer(1, 255, 1),
  KEY_CUSTODY_PREVIOUS_MASTER_KEYS: versionedMasterKeys(),
  KEY_CUSTODY: oneOf(['software', 'pkcs11'], 'software'),
  KEY_CUSTODY_PKCS11_MODULE: optionalText(),
  KEY_CUSTODY_PKCS11_TOKEN_LABEL: optionalText(),
  KEY_CUSTODY_PKCS11_SLOT: integer(0, 4_294_967_295, -1),
  KEY_CUSTODY_PKCS11_PIN_FILE: optionalText(),

  DI_SESSION_TTL_SECONDS: integer(10, 3600, 300),
  DI_TRUSTED_PROXIES: cidrList(),
  DI_CLIENT_CERT_HEADER: headerName('x-client-cert'),

  AUTH_OPERATOR_API_KEY_SHA256: hexBytes(32),
  AUTH_OIDC_ISSUER: url(['https', 'http']),
  AUTH_OIDC_AUDIENCE: optionalText(),
  AUTH_OIDC_JWKS_URL: url(['https', 'http']),
  AUTH_OIDC_TENANT_CLAIM: text('ztp_tenant'),
  AUTH_OIDC_ROLES_CLAIM: text('ztp_roles'),
  AUTH_OIDC_OPERATOR_ROLE: text('ztp:operator'),

  SZTP_TLS_CERT_FILE: optionalText(),
  SZTP_TLS_KEY_FILE: optionalText(),
  RENDEZVOUS_SZTP_TLS_PORT: integer(0, 65535, 0),
  OWNER_ONBOARDING_SZTP_TLS_PORT: integer(0, 65535, 0),
  SZTP_TRUSTED_PROXIES: cidrList(),
  SZTP_CLIENT_CERT_HEADER: headerName('x-client-cert'),

  RENDEZVOUS_TOKEN_KEY: base64Bytes(32),
  RENDEZVOUS_DEFAULT_POLICY: oneOf(['auto', 'open', 'closed'], 'auto'),
  RENDEZVOUS_RATE_LIMIT_PER_ADDRESS: integer(0, 10_000_000, 1200),
  RENDEZVOUS_RATE_LIMIT_PER_GUID: integer(0, 100_000, 30),
  RENDEZVOUS_RATE_LIMIT_TO0_PER_ADDRESS: integer(0, 10_000_000, 20_000),
  RENDEZVOUS_TRUSTED_PROXIES: cidrList(),
  RENDEZVOUS_LOOKUP_CACHE_SECONDS: integer(0, 60, 2),
  TO0_SCAN_INTERVAL_SECONDS: integer(1, 86_400, 60),
  TO0_WAIT_SECONDS: integer(60, 4_294_967_295, 86_400),
  TO0_RETRY_BASE_SECONDS: integer(1, 86_400, 30),
  TO0_RETRY_MAX_SECONDS: integer(1, 604_800, 3600),

  VOUCHER_IMPORT_MAX_BYTES: integer(1024, 1024 * 1024 * 1024, 64 * 1024 * 1024),
  WEBHOOK_TIMEOUT_MS: integer(100, 120_000, 10_000),
  WEBHOOK_ALLOW_PRIVATE_TARGETS: oneOf(['auto', 'on', 'off'], 'auto'),
  WEBHOOK_ALLOWED_CIDRS: cidrList(),
  DEMO_SEED: oneOf(['auto', 'on', 'off'], 'auto'),
  TO2_SESSION_TTL_SECONDS: integer(30, 86_400, 600),

  BOOTSTRAP_OPERATOR_API_KEY: operatorApiKey(),
  BOOTSTRAP_OPERATOR_API_KEY_FILE: optionalText(),
  BOOTSTRAP_RENDEZVOUS_TRUSTED_KEYS_FILE: optionalText(),
  EST_TLS_CERT_FILE: optionalText(),
  EST_TLS_KEY_FILE: optionalText(),
  OWNER_ONBOARDING_EST_TLS_PORT: integer(0, 65535, 0),
  EST_TRUSTED_PROXIES: cidrList(),
  EST_CLIENT_CERT_HEADER: headerName('x-client-cert'),
  EST_REENROLL_GRACE_SECONDS: integer(0, 31_536_000, 0),
  CERTIFICATE_EXPIRING_NOTICE_SECONDS: integer(60, 31_536_000, 14 * 86_400),
  CERTIFICATE_EXPIRY_SCAN_INTERVAL_SECONDS: integer(1, 86_400, 3600),
} as const;

export type EnvironmentVariable = keyof typeof environmentVariables;

/** Variables whose values are never printed, not even in validation errors. */
export const SECRET_VARIABLES: ReadonlySet<EnvironmentVariable> = new Set([
  'KEY_CUSTODY_MASTER_KEY',
  'KEY_CUSTODY_PREVIOUS_MASTER_KEYS',
  'RENDEZVOUS_TOKEN_KEY',
  'BOOTSTRAP_OPERATOR_API_KEY',
]);

const APP_PORT_VARIABLES = [
  'RENDEZVOUS_PORT',
  'VOUCHER_SERVICE_PORT',
  'OWNER_ONBOARDING_PORT',
  'WORKER_PORT',
] as const;

type Environment = z.output<z.ZodObject<typeof environmentVariables>>;

function appEndpoint(portNumber: number, publicUrl: string | undefined) {
  return { port: portNumber, publicUrl: publicUrl ?? `http://127.0.0.1:${portNumber}` };
}

function toConfig(env: Environment) {
  const embeddedDatabase = env.DATABASE_URL === undefined;
  const dataDir = isAbsolute(env.DATA_DIR) ? env.DATA_DIR : resolve(env.DATA_DIR);
  return {
    nodeEnv: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    dataDir,
    database:
      env.DATABASE_URL === undefined
        ? { kind: 'embedded' as const, dataDir: join(dataDir, 'postgres') }
        : { kind: 'postgres' as const, url: env.DATABASE_URL },
    queue:
      env.REDIS_URL === undefined
        ? { kind: 'postgres' as const, prefix: env.QUEUE_PREFIX }
        : { kind: 'redis' as const, url: env.REDIS_URL, prefix: env.QUEUE_PREFIX },
    http: {
      host: env.HOST ?? (embeddedDatabase ? '127.0.0.1' : '0.0.0.0'),
      maxBodyBytes: env.MAX_BODY_BYTES,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
      /** The worker's probe and metrics port. */
      workerPort: env.WORKER_PORT,
    },
    apps: {
      rendezvous: appEndpoint(env.RENDEZVOUS_PORT, env.RENDEZVOUS_PUBLIC_URL),
      voucherService: appEndpoint(env.VOUCHER_SERVICE_PORT, env.VOUCHER_SERVICE_PUBLIC_URL),
      ownerOnboarding: appEndpoint(env.OWNER_ONBOARDING_PORT, env.OWNER_ONBOARDING_PUBLIC_URL),
    },
    /** Unset in embedded mode: `loadConfig` then keeps a generated key in DATA_DIR/master.key. */
    keyCustodyMasterKey: env.KEY_CUSTODY_MASTER_KEY,
    /**
     * Master-key rotation: the version new seals carry (KEY_CUSTODY_MASTER_KEY is that version) and
     * the earlier master keys kept only to unseal what they sealed until it is re-sealed.
     */
    keyCustodyMasterKeys: {
      currentVersion: env.KEY_CUSTODY_MASTER_KEY_VERSION,
      previous: env.KEY_CUSTODY_PREVIOUS_MASTER_KEYS,
    },
    /**
     * Where long-lived keys (CAs, voucher-signing, owner and SZTP signing keys) live; the per-device
     * TO2 Owner2Keys stay in the software custody either way (see libs/pki RoutingKeyCustody).
     */
    keyCustodyLongLived:
      env.KEY_CUSTODY === 'pkcs11'
        ? {
            kind: 'pkcs11' as const,
            modulePath: env.KEY_CUSTODY_PKCS11_MODULE ?? '',
            tokenLabel: env.KEY_CUSTODY_PKCS11_TOKEN_LABEL,
            slotId: env.KEY_CUSTODY_PKCS11_SLOT === -1 ? undefined : env.KEY_CUSTODY_PKCS11_SLOT,
            /** The user PIN's file (a mounted secret); read when the custody is built. */
            pinFile: env.KEY_CUSTODY_PKCS11_PIN_FILE ?? '',
          }
        : { kind: 'software' as const },
    manufacturing: {
      diSessionTtlSeconds: env.DI_SESSION_TTL_SECONDS,
      trustedProxies: env.DI_TRUSTED_PROXIES,
      clientCertHeader: env.DI_CLIENT_CERT_HEADER,
    },
    auth: {
      operatorApiKeySha256: env.AUTH_OPERATOR_API_KEY_SHA256,
      oidc:
        env.AUTH_OIDC_ISSUER === undefined
          ? undefined
          : {
              issuer: env.AUTH_OIDC_ISSUER,
              audience: env.AUTH_OIDC_AUDIENCE ?? '',
              jwksUrl: env.AUTH_OIDC_JWKS_URL ?? '',
              tenantClaim: env.AUTH_OIDC_TENANT_CLAIM,
              rolesClaim: env.AUTH_OIDC_ROLES_CLAIM,
              operatorRole: env.AUTH_OIDC_OPERATOR_ROLE,
            },
    },
    sztp: {
      /** PEM files of the SZTP HTTPS listeners (both or neither). */
      tls:
        env.SZTP_TLS_CERT_FILE !== undefined || env.SZTP_TLS_KEY_FILE !== undefined
          ? { certificateFile: env.SZTP_TLS_CERT_FILE, privateKeyFile: env.SZTP_TLS_KEY_FILE }
          : undefined,
      /** HTTPS ports of the SZTP routes; 0: no HTTPS listener. */
      tlsPorts: {
        rendezvous: env.RENDEZVOUS_SZTP_TLS_PORT,
        ownerOnboarding: env.OWNER_ONBOARDING_SZTP_TLS_PORT,
      },
      trustedProxies: env.SZTP_TRUSTED_PROXIES,
      clientCertHeader: env.SZTP_CLIENT_CERT_HEADER,
    },
    rendezvous: {
      /** Unset: derived from the key-custody master key (see apps/rendezvous protocol tokens). */
      tokenKey: env.RENDEZVOUS_TOKEN_KEY,
      /** Acceptance when no trust list has entries: open in embedded mode unless told otherwise. */
      defaultPolicy:
        env.RENDEZVOUS_DEFAULT_POLICY === 'auto'
          ? embeddedDatabase
            ? ('open' as const)
            : ('closed' as const)
          : env.RENDEZVOUS_DEFAULT_POLICY,
      rateLimit: {
        perAddressPerMinute: env.RENDEZVOUS_RATE_LIMIT_PER_ADDRESS,
        perGuidPerMinute: env.RENDEZVOUS_RATE_LIMIT_PER_GUID,
        to0PerAddressPerMinute: env.RENDEZVOUS_RATE_LIMIT_TO0_PER_ADDRESS,
      },
      trustedProxies: env.RENDEZVOUS_TRUSTED_PROXIES,
      lookupCacheSeconds: env.RENDEZVOUS_LOOKUP_CACHE_SECONDS,
    },
    to0: {
      scanIntervalSeconds: env.TO0_SCAN_INTERVAL_SECONDS,
      waitSeconds: env.TO0_WAIT_SECONDS,
      retryBaseSeconds: env.TO0_RETRY_BASE_SECONDS,
      retryMaxSeconds: env.TO0_RETRY_MAX_SECONDS,
    },
    ledger: {
      importMaxBytes: env.VOUCHER_IMPORT_MAX_BYTES,
      webhookTimeoutMs: env.WEBHOOK_TIMEOUT_MS,
      /**
       * The webhook SSRF guard: only public addresses, plus WEBHOOK_ALLOWED_CIDRS; any address by
       * default only on the embedded database (the local demo, whose receivers are on localhost).
       */
      webhookTargets: {
        allowPrivate:
          env.WEBHOOK_ALLOW_PRIVATE_TARGETS === 'auto'
            ? embeddedDatabase
            : env.WEBHOOK_ALLOW_PRIVATE_TARGETS === 'on',
        allowedCidrs: env.WEBHOOK_ALLOWED_CIDRS,
      },
      /** Seed the demo tenants on first start: by default only on the embedded database. */
      demoSeed: env.DEMO_SEED === 'auto' ? embeddedDatabase : env.DEMO_SEED === 'on',
    },
    to2: {
      /** How long a TO2 session may take from HelloDevice to Done before it is refused. */
      sessionTtlSeconds: env.TO2_SESSION_TTL_SECONDS,
    },
    /** What `npm run bootstrap` creates on a fresh installation (nothing when all are unset). */
    bootstrap: {
      operatorApiKey: env.BOOTSTRAP_OPERATOR_API_KEY,
      operatorApiKeyFile: env.BOOTSTRAP_OPERATOR_API_KEY_FILE,
      rendezvousTrustedKeysFile: env.BOOTSTRAP_RENDEZVOUS_TRUSTED_KEYS_FILE,
    },
    est: {
      /** PEM files of the EST HTTPS listener (both or neither). */
      tls:
        env.EST_TLS_CERT_FILE !== undefined || env.EST_TLS_KEY_FILE !== undefined
          ? { certificateFile: env.EST_TLS_CERT_FILE, privateKeyFile: env.EST_TLS_KEY_FILE }
          : undefined,
      /** HTTPS port of owner onboarding's EST routes; 0: none. */
      tlsPort: env.OWNER_ONBOARDING_EST_TLS_PORT,
      trustedProxies: env.EST_TRUSTED_PROXIES,
      clientCertHeader: env.EST_CLIENT_CERT_HEADER,
      /** How long after notAfter a certificate may still re-enrol, unless the owner sets its own. */
      reenrollGraceSeconds: env.EST_REENROLL_GRACE_SECONDS,
    },
    certificates: {
      /** certificate.expiring is raised this long before a current certificate's notAfter. */
      expiringNoticeSeconds: env.CERTIFICATE_EXPIRING_NOTICE_SECONDS,
      expiryScanIntervalSeconds: env.CERTIFICATE_EXPIRY_SCAN_INTERVAL_SECONDS,
    },
  };
}

export const configSchema = z
  .object(environmentVariables)
  .superRefine((env, ctx) => {
    const oidc = ['AUTH_OIDC_ISSUER', 'AUTH_OIDC_AUDIENCE', 'AUTH_OIDC_JWKS_URL'] as const;
    if (oidc.some((name) => env[name] !== undefined)) {
      for (const name of oidc.filter((each) => env[each] === undefined))
        ctx.addIssue({ code: 'custom', path: [name], message: `is required with ${oidc.join(', ')}` });
    }
    if (env.DATABASE_URL !== undefined && env.KEY_CUSTODY_MASTER_KEY === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['KEY_CUSTODY_MASTER_KEY'],
        message: 'is required when DATABASE_URL is set (base64 of 32 random bytes)',
      });
    } else if (env.NODE_ENV === 'production' && env.KEY_CUSTODY_MASTER_KEY === undefined) {
      // Embedded mode would generate the master key into DATA_DIR/master.key, beside the data it
      // protects (one copy of the volume has both): a demo convenience, never a production setup.
      ctx.addIssue({
        code: 'custom',
        path: ['KEY_CUSTODY_MASTER_KEY'],
        message:
          'is required when NODE_ENV=production: without it the embedded mode generates the master key into ' +
          'DATA_DIR/master.key, next to the data it protects (set NODE_ENV=development for a demo)',
      });
    }
    if (env.KEY_CUSTODY === 'pkcs11') {
      for (const name of ['KEY_CUSTODY_PKCS11_MODULE', 'KEY_CUSTODY_PKCS11_PIN_FILE'] as const) {
        if (env[name] === undefined) {
          ctx.addIssue({ code: 'custom', path: [name], message: 'is required when KEY_CUSTODY=pkcs11' });
        }
      }
      if ((env.KEY_CUSTODY_PKCS11_TOKEN_LABEL === undefined) === (env.KEY_CUSTODY_PKCS11_SLOT === -1)) {
        ctx.addIssue({
          code: 'custom',
          path: ['KEY_CUSTODY_PKCS11_TOKEN_LABEL'],
          message: 'or KEY_CUSTODY_PKCS11_SLOT (exactly one) is required when KEY_CUSTODY=pkcs11',
        });
      }
    }
    if (
      env.KEY_CUSTODY_PREVIOUS_MASTER_KEYS.some((key) => key.version === env.KEY_CUSTODY_MASTER_KEY_VERSION)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['KEY_CUSTODY_PREVIOUS_MASTER_KEYS'],
        message: 'must not repeat KEY_CUSTODY_MASTER_KEY_VERSION',
      });
    }
    // Production never falls back to http://127.0.0.1:<port> for an address devices are given.
    if (env.NODE_ENV === 'production') {
      if (env.DATABASE_URL !== undefined && env.RENDEZVOUS_DEFAULT_POLICY === 'open')
        ctx.addIssue({
          code: 'custom',
          path: ['RENDEZVOUS_DEFAULT_POLICY'],
          message:
            'must not be open when NODE_ENV=production on a PostgreSQL server: the open policy registers any ' +
            "verified voucher (anyone's redirect); list trusted manufacturer keys or device CAs instead",
        });
      for (const [name, usedIn] of devicePublicUrls(env)) {
        if (env[name] === undefined)
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: `is required when NODE_ENV=production (it goes into ${usedIn}); set it to the URL devices reach`,
          });
      }
    }
    if (env.BOOTSTRAP_OPERATOR_API_KEY !== undefined && env.BOOTSTRAP_OPERATOR_API_KEY_FILE !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['BOOTSTRAP_OPERATOR_API_KEY_FILE'],
        message: 'and BOOTSTRAP_OPERATOR_API_KEY are alternatives; set one of them',
      });
    }
    const seen = new Map<number, string>();
    for (const name of APP_PORT_VARIABLES) {
      const other = seen.get(env[name]);
      if (other !== undefined) {
        ctx.addIssue({ code: 'custom', path: [name], message: `must differ from ${other}` });
      }
      seen.set(env[name], name);
    }
  })
  .transform(toConfig);

/** The public URLs that end up in what devices are given, with where they end up. */
function devicePublicUrls(env: Environment): [EnvironmentVariable, string][] {
  return [
    ['RENDEZVOUS_PUBLIC_URL', 'the RendezvousInfo written at DI and the rendezvous directives'],
    [
      'OWNER_ONBOARDING_PUBLIC_URL',
      env.DEMO_SEED === 'on'
        ? "the CRL and OCSP URLs of issued device certificates and the demo owner's TO0 address"
        : 'the CRL and OCSP URLs of issued device certificates',
    ],
  ];
}

export type ParsedConfig = z.output<typeof configSchema>;

/**
 * Comma-separated `version:base64` master keys (version 1..255, 32 bytes each, versions distinct),
 * e.g. `1:AAAA...=`. Unset: none.
 */
function versionedMasterKeys() {
  return z
    .string()
    .optional()
    .transform((raw, ctx): { version: number; key: string }[] => {
      if (raw === undefined) return [];
      const keys: { version: number; key: string }[] = [];
      for (const entry of raw.split(',').map((part) => part.trim())) {
        const match = /^(\d{1,3}):([A-Za-z0-9+/]{43}=)$/.exec(entry);
        const version = match ? Number(match[1]) : Number.NaN;
        if (!match || version < 1 || version > 255 || Buffer.from(match[2]!, 'base64').length !== 32) {
          ctx.addIssue({
            code: 'custom',
            message: 'must be comma-separated version:base64 of 32 bytes (version 1..255)',
          });
          return z.NEVER;
        }
        if (keys.some((key) => key.version === version)) {
          ctx.addIssue({ code: 'custom', message: `names version ${version} twice` });
          return z.NEVER;
        }
        keys.push({ version, key: match[2]! });
      }
      return keys;
    });
}

/** Comma-separated CIDRs or single addresses (IPv4 or IPv6), e.g. `10.0.0.0/8, ::1`. */
function cidrList() {
  return z
    .string()
    .optional()
    .transform((raw: string | undefined, ctx): string[] => {
      if (raw === undefined) return [];
      const items = raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
      for (const item of items) {
        const [address = '', bits, extra] = item.split('/');
        const family = isIP(address);
        const maxBits = family === 4 ? 32 : 128;
        const validBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits);
        if (family === 0 || !validBits || extra !== undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `must be comma-separated CIDRs or addresses ("${item}" is not)`,
          });
          return z.NEVER;
        }
      }
      return items;
    });
}

/**
 * An API key in the format `npm run auth:operator-key` prints (`ztp_<12 hex>_<43 base64url>`),
 * chosen by the operator for `npm run bootstrap`. Never echoed (SECRET_VARIABLES).
 */
function operatorApiKey() {
  return z
    .string()
    .optional()
    .refine((raw) => raw === undefined || /^ztp_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/.test(raw), {
      message:
        'must be an API key as `npm run auth:operator-key` prints it (ztp_<12 hex digits>_<43 base64url characters>)',
    });
}

/** An HTTP header name, kept in lower case (as Node presents incoming headers). */
function headerName(fallback: string) {
  return z
    .string()
    .optional()
    .transform((raw: string | undefined, ctx): string => {
      if (raw === undefined) return fallback;
      if (/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(raw)) return raw.toLowerCase();
      ctx.addIssue({ code: 'custom', message: 'must be an HTTP header name' });
      return z.NEVER;
    });
}
