import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { REPO_ROOT } from './deploy-files';

const MONITORING = join(REPO_ROOT, 'deploy', 'monitoring');
const ALERTS_FILE = join(MONITORING, 'prometheus-alerts.yaml');
const DASHBOARD_FILE = join(MONITORING, 'grafana-dashboard.json');

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Panel {
  id: number;
  title: string;
  type: string;
  datasource: { uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets: { refId: string; expr: string }[];
}

const alerts = parseYaml(readFileSync(ALERTS_FILE, 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
const rules = alerts.groups.flatMap((group) => group.rules);
const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string }[] };
};
/** Grafana's interval variable, as Prometheus would see it once Grafana has filled it in. */
const dashboardExprs = dashboard.panels.flatMap((panel) =>
  panel.targets.map((target) => target.expr.replaceAll('$__rate_interval', '5m')),
);

/** Every metric name the services declare (prom-client `name: '...'` in the source), and prom-client's histogram series. */
function declaredMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.ts') && !entry.includes('.spec.'))
        for (const match of readFileSync(path, 'utf8').matchAll(/name: '((?:ztp|fdo|http)_[a-z0-9_]+)'/g)) {
          names.add(match[1]!);
          for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${match[1]!}${suffix}`);
        }
    }
  };
  walk(join(REPO_ROOT, 'libs'));
  walk(join(REPO_ROOT, 'apps'));
  return names;
}

/** Metric names in a PromQL expression: label matchers and `by (...)` / `without (...)` lists removed first. */
const metricNames = (expr: string) =>
  [
    ...expr
      .replace(/\{[^}]*\}/g, '')
      .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
      .matchAll(/\b((?:ztp|fdo|http)_[a-z0-9_]+)\b/g),
  ].map((m) => m[1]!);

/**
 * promtool from Debian's `prometheus` package (installed by .ci/run): PROMTOOL_BIN, else promtool on
 * PATH. Without it the PromQL syntax check is skipped, except under CI=true, where it must run.
 */
function findPromtool(): string | undefined {
  const candidates = [process.env['PROMTOOL_BIN'], 'promtool'].filter((c): c is string => !!c);
  return candidates.find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);
}
const promtool = findPromtool();

describe('deploy/monitoring: Prometheus alert rules and the Grafana dashboard', () => {
  it('alerts on onboarding failures, TO0 lag, a stuck queue and a down worker, each with severity and summary', () => {
    const names = rules.map((rule) => rule.alert);
    expect(names).toEqual(
      expect.arrayContaining([
        'ZtpOnboardingFailureRatioHigh',
        'ZtpTo0Lagging',
        'ZtpQueueStuck',
        'ZtpWorkerDown',
      ]),
    );
    expect(new Set(names).size).toBe(names.length);
    for (const rule of rules) {
      expect(rule.labels?.['severity'], rule.alert).toMatch(/^(critical|warning|info)$/);
      expect(rule.annotations?.['summary'], rule.alert).toBeTruthy();
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
    }
  });

  it('names only metrics the services export', () => {
    const declared = declaredMetrics();
    // The check itself sees the metrics of this issue (so it cannot pass by finding nothing).
    for (const name of [
      'ztp_onboardings_total',
      'ztp_to0_lag_seconds',
      'ztp_queue_jobs',
      'fdo_messages_total',
    ])
      expect(declared.has(name), name).toBe(true);
    for (const expr of [...rules.map((rule) => rule.expr), ...dashboardExprs])
      for (const name of metricNames(expr)) expect(declared.has(name), `${name} in ${expr}`).toBe(true);
  });

  it('has a dashboard with unique panel ids, a Prometheus datasource variable and a query per panel', () => {
    expect(dashboard.uid).toBe('ztp-fleet');
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource' }),
    );
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect(panel.datasource.uid, panel.title).toBe('${datasource}');
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      expect(panel.gridPos.w, panel.title).toBeGreaterThan(0);
    }
  });

  it.skipIf(promtool === undefined && process.env['CI'] !== 'true')(
    `parses every rule and dashboard query with ${promtool ?? 'promtool (not installed)'}`,
    () => {
      expect(promtool, 'CI must have promtool (Debian package prometheus)').toBeDefined();
      const dir = mkdtempSync(join(tmpdir(), 'ztp-promtool-'));
      try {
        const check = (file: string) => spawnSync(promtool!, ['check', 'rules', file], { encoding: 'utf8' });
        const rulesCheck = check(ALERTS_FILE);
        expect(rulesCheck.status, rulesCheck.stdout + rulesCheck.stderr).toBe(0);
        // Dashboard queries checked as recording rules: promtool parses each expression.
        const recorded = join(dir, 'dashboard-queries.yaml');
        writeFileSync(
          recorded,
          stringifyYaml({
            groups: [
              {
                name: 'dashboard',
                rules: dashboardExprs.map((expr, i) => ({ record: `ztp:dashboard_query_${i}`, expr })),
              },
            ],
          }),
        );
        const queriesCheck = check(recorded);
        expect(queriesCheck.status, queriesCheck.stdout + queriesCheck.stderr).toBe(0);
        // And the check can fail: a broken expression is refused.
        writeFileSync(
          recorded,
          stringifyYaml({
            groups: [{ name: 'broken', rules: [{ record: 'x:y', expr: 'sum(rate(x[5m])' }] }],
          }),
        );
        expect(check(recorded).status).not.toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
