import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHART_DIR, obj, parseYamlStream, REPO_ROOT, str } from './deploy-files';

const runs = (candidate: string) =>
  spawnSync(candidate, ['version', '--short'], { stdio: 'ignore' }).status === 0;

/**
 * The helm binary for the rendering tests: $HELM_BIN (which must work: CI sets it so that the tests
 * cannot silently skip), else node_modules/.bin/helm, else helm on PATH. Undefined when there is none.
 */
export function findHelm(): string | undefined {
  const required = process.env['HELM_BIN'];
  if (required !== undefined && required !== '') {
    if (!runs(required)) throw new Error(`HELM_BIN=${required} does not run \`helm version\``);
    return required;
  }
  return [join(REPO_ROOT, 'node_modules', '.bin', 'helm'), 'helm'].find(runs);
}

export interface HelmRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export const TEST_VALUES = join(CHART_DIR, 'ci', 'test-values.yaml');
/** Render for a cluster new enough for every API the chart uses (see Chart.yaml kubeVersion). */
const KUBE_VERSION = '1.29.0';
const HELM_HOME = join(tmpdir(), 'ztp-deploy-helm');

export function runHelm(helm: string, args: string[]): HelmRun {
  const result = spawnSync(helm, args, {
    encoding: 'utf8',
    // No repository config, cache or plugins from the developer's machine.
    env: {
      PATH: process.env['PATH'] ?? '',
      HELM_CACHE_HOME: join(HELM_HOME, 'cache'),
      HELM_CONFIG_HOME: join(HELM_HOME, 'config'),
      HELM_DATA_HOME: join(HELM_HOME, 'data'),
    },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface Manifest {
  readonly kind: string;
  readonly name: string;
  readonly body: Record<string, unknown>;
}

export type Overrides = Record<string, string | number | boolean>;

/**
 * `helm template` with the test values plus overrides (strings with --set-string, numbers and
 * booleans with --set, so they keep their type); every rendered document, parsed.
 */
export function renderChart(helm: string, overrides: Overrides = {}, valuesFiles = [TEST_VALUES]) {
  const args = ['template', 'ztp', CHART_DIR, '--namespace', 'onboarding', '--kube-version', KUBE_VERSION];
  for (const file of valuesFiles) args.push('--values', file);
  for (const [key, value] of Object.entries(overrides)) {
    args.push(typeof value === 'string' ? '--set-string' : '--set', `${key}=${String(value)}`);
  }
  const run = runHelm(helm, args);
  if (run.status !== 0) return { run, manifests: [] as Manifest[] };
  const manifests = parseYamlStream(run.stdout).map((document, index): Manifest => {
    const body = obj(document, `document ${index}`);
    const metadata = obj(body['metadata'], `document ${index}.metadata`);
    return { kind: str(body['kind'], 'kind'), name: str(metadata['name'], 'metadata.name'), body };
  });
  return { run, manifests };
}
