import { ConfigError } from './config-error';
import { configSchema, SECRET_VARIABLES, type EnvironmentVariable, type ParsedConfig } from './config.schema';
import { deepFreeze, type DeepReadonly } from './deep-freeze';
import { readOrCreateMasterKeyFile } from './master-key-file';

type ResolvedConfig = Omit<ParsedConfig, 'keyCustodyMasterKey'> & {
  keyCustody: {
    /** Base64 of 32 bytes; decode with `Buffer.from(masterKey, 'base64')` where needed. */
    masterKey: string;
    /** Where it came from: the KEY_CUSTODY_MASTER_KEY variable or the embedded key file. */
    source: 'environment' | 'file';
  };
};

/** The whole validated configuration, deeply frozen. */
export type AppConfig = DeepReadonly<ResolvedConfig>;

/**
 * Parses and validates the environment once. Throws a `ConfigError` naming every bad variable,
 * what it expects and (unless secret) the value it got. In embedded mode (no DATABASE_URL) without
 * KEY_CUSTODY_MASTER_KEY, the master key is read from, or generated into, DATA_DIR/master.key.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = configSchema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '');
      return `${name} ${issue.message}${describeValue(name, present[name])}`;
    });
    throw new ConfigError(problems);
  }
  const { keyCustodyMasterKey, ...rest } = result.data;
  const keyCustody =
    keyCustodyMasterKey !== undefined
      ? { masterKey: keyCustodyMasterKey, source: 'environment' as const }
      : { masterKey: readOrCreateMasterKeyFile(rest.dataDir).masterKey, source: 'file' as const };
  return deepFreeze({ ...rest, keyCustody });
}

function describeValue(name: string, value: string | undefined): string {
  if (value === undefined) return '';
  if (SECRET_VARIABLES.has(name as EnvironmentVariable)) return ` (got ${value.length} characters)`;
  const shown = value.length > 80 ? `${value.slice(0, 80)}...` : value;
  return ` (got ${JSON.stringify(redactPassword(shown))})`;
}

function redactPassword(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}
