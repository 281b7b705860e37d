import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { environmentVariables, type EnvironmentVariable } from '@ztp/config';
import { parse, parseAllDocuments } from 'yaml';

/**
 * What the deployment artefacts under deploy/ must agree on, read from the files themselves, plus
 * the facts they must agree WITH: the app names the image runs and the defaults of libs/config.
 */
export const REPO_ROOT = new URL('../../', import.meta.url).pathname;
export const DEPLOY_DIR = join(REPO_ROOT, 'deploy');
export const CHART_DIR = join(DEPLOY_DIR, 'helm', 'ztp-onboarding');

export interface HttpApp {
  /** Component name: the APP value, the compose service, the Helm apps.<name> key. */
  readonly name: 'rendezvous' | 'voucher-service' | 'owner-onboarding';
  readonly portVariable: EnvironmentVariable;
  readonly publicUrlVariable: EnvironmentVariable;
  /** The port libs/config uses when the variable is unset. */
  readonly defaultPort: number;
}

function httpApp(name: HttpApp['name'], prefix: string): HttpApp {
  const portVariable = `${prefix}_PORT` as EnvironmentVariable;
  return {
    name,
    portVariable,
    publicUrlVariable: `${prefix}_PUBLIC_URL` as EnvironmentVariable,
    defaultPort: environmentVariables[portVariable].parse(undefined) as number,
  };
}

export const HTTP_APPS: readonly HttpApp[] = [
  httpApp('rendezvous', 'RENDEZVOUS'),
  httpApp('voucher-service', 'VOUCHER_SERVICE'),
  httpApp('owner-onboarding', 'OWNER_ONBOARDING'),
];

/** Every value APP may take: the HTTP apps, the queue worker, the one-shot migration and bootstrap. */
export const ALL_APPS = [...HTTP_APPS.map((app) => app.name), 'worker', 'migrate', 'bootstrap'] as const;

/**
 * The Helm values key of a .env.example section: its title without the parenthesis, camelCased
 * ("key custody" -> keyCustody, "automatic TO0 (worker)" -> automaticTo0).
 */
export function envGroupKey(title: string): string {
  const words = title
    .replace(/\(.*\)/, '')
    .trim()
    .toLowerCase()
    .split(/\s+/);
  return words.map((word, index) => (index === 0 ? word : word[0]?.toUpperCase() + word.slice(1))).join('');
}

/** Variables the chart sets from its own values (apps.<app>, config.*, secrets.*), not from env.*. */
export const HELM_MODELED_VARIABLES: ReadonlySet<string> = new Set([
  'RENDEZVOUS_PORT',
  'VOUCHER_SERVICE_PORT',
  'OWNER_ONBOARDING_PORT',
  'WORKER_PORT',
  'RENDEZVOUS_PUBLIC_URL',
  'VOUCHER_SERVICE_PUBLIC_URL',
  'OWNER_ONBOARDING_PUBLIC_URL',
  'LOG_LEVEL',
  'QUEUE_PREFIX',
  'MAX_BODY_BYTES',
  'SHUTDOWN_TIMEOUT_MS',
  'DATABASE_URL',
  'REDIS_URL',
  'KEY_CUSTODY_MASTER_KEY',
]);

/** The sections of .env.example ("# --- storage ---") with the variables each documents, in order. */
export function envExampleSections(): { title: string; variables: string[] }[] {
  const sections: { title: string; variables: string[] }[] = [];
  for (const line of readText('.env.example').split('\n')) {
    const heading = /^# --- (.+?) -+$/.exec(line);
    if (heading) sections.push({ title: heading[1] ?? '', variables: [] });
    const variable = /^([A-Z][A-Z0-9_]*)=/.exec(line);
    if (variable) sections.at(-1)?.variables.push(variable[1] ?? '');
  }
  return sections;
}

export const SHUTDOWN_TIMEOUT_MS_DEFAULT = environmentVariables.SHUTDOWN_TIMEOUT_MS.parse(
  undefined,
) as number;

/** Variables the containers set that are not application configuration. */
export const RUNTIME_VARIABLES: ReadonlySet<string> = new Set(['APP']);

export const KNOWN_VARIABLES: ReadonlySet<string> = new Set(Object.keys(environmentVariables));

export function readText(relativePath: string): string {
  return readFileSync(join(REPO_ROOT, relativePath), 'utf8');
}

export function repoPathExists(relativePath: string): boolean {
  return existsSync(join(REPO_ROOT, relativePath));
}

/** Parses one YAML file (merge keys on: docker-compose.yml shares settings through `<<`). */
export function readYaml(relativePath: string): unknown {
  return parse(readText(relativePath), { merge: true, strict: true, uniqueKeys: true });
}

/** Every non-empty document of a multi-document YAML stream, failing on any syntax error. */
export function parseYamlStream(text: string): unknown[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(document.errors.map((e) => e.message).join('\n'));
      return document.toJS() as unknown;
    })
    .filter((value) => value !== null && value !== undefined);
}

/** Typed descent into parsed YAML/JSON; throws with the path when the shape is not an object. */
export function obj(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${where}: expected a mapping, got ${JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

export function arr(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${where}: expected a sequence, got ${JSON.stringify(value)}`);
  return value;
}

export function str(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new Error(`${where}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}

export function num(value: unknown, where: string): number {
  if (typeof value !== 'number') throw new Error(`${where}: expected a number, got ${JSON.stringify(value)}`);
  return value;
}

/** Follows a dotted path of mapping keys: at(values, 'apps.rendezvous.port'). */
export function at(root: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => obj(node, path)[key], root);
}
