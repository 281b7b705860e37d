import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { environmentVariables } from '@ztp/config';
import { describe, expect, it } from 'vitest';
import {
  arr,
  at,
  CHART_DIR,
  envExampleSections,
  envGroupKey,
  HELM_MODELED_VARIABLES,
  HTTP_APPS,
  num,
  obj,
  readText,
  readYaml,
  SHUTDOWN_TIMEOUT_MS_DEFAULT,
  str,
} from './deploy-files';

const chart = obj(readYaml('deploy/helm/ztp-onboarding/Chart.yaml'), 'Chart.yaml');
const values = obj(readYaml('deploy/helm/ztp-onboarding/values.yaml'), 'values.yaml');
const schema = obj(
  JSON.parse(readText('deploy/helm/ztp-onboarding/values.schema.json')),
  'values.schema.json',
);
const schemaAt = (path: string) =>
  obj(
    path.split('.').reduce<unknown>((node, key) => obj(obj(node, path)['properties'], path)[key], schema),
    path,
  );
const accepts = (variable: keyof typeof environmentVariables, value: string) =>
  environmentVariables[variable].safeParse(value).success;

describe('Helm chart metadata', () => {
  it('is an application chart (apiVersion v2) whose appVersion is the package version', () => {
    expect(chart['apiVersion']).toBe('v2');
    expect(chart['name']).toBe('ztp-onboarding');
    expect(chart['type']).toBe('application');
    expect(str(chart['version'], 'version')).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
    const manifest = obj(JSON.parse(readText('package.json')), 'package.json');
    expect(chart['appVersion']).toBe(manifest['version']);
    expect(str(chart['kubeVersion'], 'kubeVersion')).toMatch(/^>=1\.2[3-9]/);
  });

  it('has the templates for every object the deployment needs', () => {
    const templates = readdirSync(join(CHART_DIR, 'templates')).sort();
    expect(templates).toEqual(
      [
        'NOTES.txt',
        '_helpers.tpl',
        'configmap.yaml',
        'deployment.yaml',
        'hpa.yaml',
        'ingress.yaml',
        'migration-job.yaml',
        'pdb.yaml',
        'secret.yaml',
        'service.yaml',
        'serviceaccount.yaml',
        'servicemonitor.yaml',
        'worker-deployment.yaml',
      ].sort(),
    );
  });
});

describe('Helm values.yaml', () => {
  it('has one entry per HTTP app, on the port libs/config defaults to, served by its Service', () => {
    const apps = obj(values['apps'], 'apps');
    expect(Object.keys(apps).sort()).toEqual(HTTP_APPS.map((app) => app.name).sort());
    for (const app of HTTP_APPS) {
      expect(at(apps, `${app.name}.port`), app.name).toBe(app.defaultPort);
      expect(at(apps, `${app.name}.service.port`), app.name).toBe(app.defaultPort);
      expect(at(apps, `${app.name}.enabled`)).toBe(true);
    }
  });

  it('probes liveness on /health, readiness on /health/ready, and gives startup a minute', () => {
    expect(at(values, 'probes.liveness.path')).toBe('/health');
    expect(at(values, 'probes.readiness.path')).toBe('/health/ready');
    expect(at(values, 'probes.startup.path')).toBe('/health');
    const startupWindow =
      num(at(values, 'probes.startup.periodSeconds'), 'period') *
      num(at(values, 'probes.startup.failureThreshold'), 'threshold');
    expect(startupWindow).toBeGreaterThanOrEqual(60);
    for (const probe of ['startup', 'liveness', 'readiness']) {
      expect(num(at(values, `probes.${probe}.timeoutSeconds`), probe)).toBeLessThanOrEqual(
        num(at(values, `probes.${probe}.periodSeconds`), probe),
      );
    }
  });

  it('defaults its configuration to values libs/config accepts, and to its defaults where it has them', () => {
    expect(at(values, 'config.shutdownTimeoutMs')).toBe(SHUTDOWN_TIMEOUT_MS_DEFAULT);
    expect(at(values, 'config.maxBodyBytes')).toBe(environmentVariables.MAX_BODY_BYTES.parse(undefined));
    expect(at(values, 'config.queuePrefix')).toBe(environmentVariables.QUEUE_PREFIX.parse(undefined));
    expect(at(values, 'config.logLevel')).toBe(environmentVariables.LOG_LEVEL.parse(undefined));
  });

  it('scales each app between sane bounds and always allows one voluntary disruption', () => {
    for (const path of [...HTTP_APPS.map((app) => `apps.${app.name}`), 'worker']) {
      const min = num(at(values, `${path}.autoscaling.minReplicas`), path);
      expect(min, path).toBeGreaterThanOrEqual(1);
      expect(num(at(values, `${path}.autoscaling.maxReplicas`), path)).toBeGreaterThanOrEqual(min);
      expect(num(at(values, `${path}.autoscaling.targetCPUUtilizationPercentage`), path)).toBeLessThanOrEqual(
        100,
      );
      expect(at(values, `${path}.podDisruptionBudget.maxUnavailable`), path).toBe(1);
      expect(
        obj(at(values, `${path}.resources.requests`), path)['cpu'],
        'HPA on CPU needs a CPU request',
      ).toBeTruthy();
    }
    for (const app of HTTP_APPS) expect(at(values, `apps.${app.name}.autoscaling.enabled`)).toBe(true);
  });

  it('runs containers non-root, read-only, without privilege escalation or capabilities', () => {
    expect(at(values, 'podSecurityContext.runAsNonRoot')).toBe(true);
    expect(at(values, 'securityContext.readOnlyRootFilesystem')).toBe(true);
    expect(at(values, 'securityContext.allowPrivilegeEscalation')).toBe(false);
    expect(arr(at(values, 'securityContext.capabilities.drop'), 'drop')).toEqual(['ALL']);
    expect(at(values, 'podSecurityContext.seccompProfile.type')).toBe('RuntimeDefault');
  });

  it('ships no secret values', () => {
    for (const key of ['existingSecret', 'databaseUrl', 'redisUrl', 'keyCustodyMasterKey']) {
      expect(at(values, `secrets.${key}`), key).toBe('');
    }
  });
});

describe('Helm values.schema.json', () => {
  it('closes the apps map to the three HTTP apps', () => {
    const apps = schemaAt('apps');
    expect(apps['additionalProperties']).toBe(false);
    expect(Object.keys(obj(apps['properties'], 'apps')).sort()).toEqual(HTTP_APPS.map((a) => a.name).sort());
    expect(schema['additionalProperties']).toBe(false);
  });

  it('allows exactly the log levels libs/config accepts', () => {
    const levels = arr(schemaAt('config.logLevel')['enum'], 'enum').map((l) => str(l, 'level'));
    for (const level of levels) expect(accepts('LOG_LEVEL', level), level).toBe(true);
    expect(accepts('LOG_LEVEL', 'verbose')).toBe(false);
    expect(levels).not.toContain('verbose');
  });

  it('constrains numbers and names like libs/config does', () => {
    const bounds = (path: string) => [
      num(schemaAt(path)['minimum'], path),
      num(schemaAt(path)['maximum'], path),
    ];
    for (const [path, variable] of [
      ['config.shutdownTimeoutMs', 'SHUTDOWN_TIMEOUT_MS'],
      ['config.maxBodyBytes', 'MAX_BODY_BYTES'],
    ] as const) {
      const [min = 0, max = 0] = bounds(path);
      expect(accepts(variable, String(min)), `${path} minimum`).toBe(true);
      expect(accepts(variable, String(min - 1)), `${path} below minimum`).toBe(false);
      expect(accepts(variable, String(max)), `${path} maximum`).toBe(true);
      expect(accepts(variable, String(max + 1)), `${path} above maximum`).toBe(false);
    }
    const prefix = new RegExp(str(schemaAt('config.queuePrefix')['pattern'], 'pattern'));
    for (const sample of ['ztp', 'a', 'Z-1_x', '1abc', '-a', 'a.b', 'x'.repeat(40), 'x'.repeat(41)]) {
      expect(prefix.test(sample), sample).toBe(accepts('QUEUE_PREFIX', sample));
    }
  });

  it('accepts a real master key and rejects keys of the wrong length', () => {
    const pattern = new RegExp(str(schemaAt('secrets.keyCustodyMasterKey')['pattern'], 'pattern'));
    const key = randomBytes(32).toString('base64');
    expect(pattern.test(key)).toBe(true);
    expect(accepts('KEY_CUSTODY_MASTER_KEY', key)).toBe(true);
    for (const length of [16, 31, 33, 48]) {
      const wrong = randomBytes(length).toString('base64');
      expect(pattern.test(wrong), `${length} bytes`).toBe(false);
      expect(accepts('KEY_CUSTODY_MASTER_KEY', wrong)).toBe(false);
    }
    expect(pattern.test(''), 'empty means "use existingSecret"').toBe(true);
  });

  it('requires the probe paths to be absolute', () => {
    for (const probe of ['startup', 'liveness', 'readiness']) {
      expect(schemaAt(`probes.${probe}.path`)['pattern']).toBe('^/');
    }
  });
});

describe('Helm values env.<group>', () => {
  it('has one group per .env.example section, accepting exactly its variables the chart does not model', () => {
    const groups = obj(schemaAt('env')['properties'], 'env.properties');
    const sections = envExampleSections();
    expect(Object.keys(groups)).toEqual(sections.map((section) => envGroupKey(section.title)));
    expect(Object.keys(obj(values['env'], 'values.env'))).toEqual(Object.keys(groups));
    for (const section of sections) {
      const group = obj(groups[envGroupKey(section.title)], section.title);
      expect(group['additionalProperties'], section.title).toBe(false);
      expect(Object.keys(obj(group['properties'], section.title)), section.title).toEqual(
        section.variables.filter((variable) => !HELM_MODELED_VARIABLES.has(variable)),
      );
    }
  });
});
