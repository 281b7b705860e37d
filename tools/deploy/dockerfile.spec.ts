import { describe, expect, it } from 'vitest';
import { at, HTTP_APPS, num, obj, readText, readYaml, repoPathExists } from './deploy-files';
import { execForm, instructionsOf, parseDockerfile, stageEnv, type Stage } from './dockerfile';

const dockerfile = parseDockerfile(readText('deploy/Dockerfile'));
const stage = (name: string): Stage => {
  const found = dockerfile.stages.find((s) => s.name === name);
  if (!found) throw new Error(`deploy/Dockerfile has no stage "${name}"`);
  return found;
};
const deps = stage('deps');
const runtime = stage('runtime');
const chartValues = readYaml('deploy/helm/ztp-onboarding/values.yaml');

describe('deploy/Dockerfile', () => {
  it('builds in three stages on a slim Node 22 LTS image (the console bundle in its own), the runtime stage last', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['deps', 'console', 'runtime']);
    for (const { image } of dockerfile.stages) expect(image).toMatch(/^node:22(\.\d+){0,2}-[a-z]+-slim$/);
  });

  it('installs exactly the locked production dependencies, without install scripts', () => {
    const copies = instructionsOf(deps, 'COPY');
    expect(copies).toContain('package.json package-lock.json ./');
    const install = instructionsOf(deps, 'RUN').join('\n');
    expect(install).toMatch(/\bnpm ci\b/);
    expect(install).toContain('--omit=dev');
    expect(install).toContain('--ignore-scripts');
  });

  it('keeps the TypeScript loader chain out of the dev-only set that --omit=dev drops', () => {
    // The image runs `node --import @swc-node/register/esm-register`; it needs @swc/core and (as a
    // peer, to read tsconfig.json) typescript. npm marks packages only dev code needs "dev": true.
    const lock = obj(JSON.parse(readText('package-lock.json')), 'package-lock.json');
    const packages = obj(lock['packages'], 'packages');
    for (const name of ['@swc-node/register', '@swc/core', 'typescript', 'reflect-metadata']) {
      const entry = obj(packages[`node_modules/${name}`], name);
      expect(entry['dev'], `${name} must be installed by npm ci --omit=dev`).not.toBe(true);
    }
    const manifest = obj(JSON.parse(readText('package.json')), 'package.json');
    expect(Object.keys(obj(manifest['dependencies'], 'dependencies'))).toEqual(
      expect.arrayContaining(['@swc-node/register', '@swc/core']),
    );
  });

  it('copies into the runtime only paths that exist and that .dockerignore lets through', () => {
    const ignore = readText('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignore[0], '.dockerignore starts by excluding everything (allowlist)').toBe('*');
    const sources = instructionsOf(runtime, 'COPY')
      .filter((args) => !args.startsWith('--from='))
      .flatMap((args) => args.split(/\s+/).slice(0, -1));
    expect(sources).toEqual(
      expect.arrayContaining(['package.json', 'tsconfig.json', 'tsconfig.base.json', 'apps', 'libs']),
    );
    for (const source of sources) {
      expect(repoPathExists(source), `${source} exists`).toBe(true);
      expect(
        ignore.includes(`!${source}`) || ignore.includes(`!${source}/`),
        `.dockerignore has !${source}`,
      ).toBe(true);
    }
    expect(instructionsOf(runtime, 'COPY')).toContain('--from=deps /app/node_modules ./node_modules');
  });

  it('runs as the numeric non-root user the Helm chart declares', () => {
    const users = instructionsOf(runtime, 'USER');
    expect(users).toHaveLength(1);
    const [uid, gid] = (users[0] ?? '').split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(uid).toBe(num(at(chartValues, 'podSecurityContext.runAsUser'), 'runAsUser'));
    expect(gid).toBe(num(at(chartValues, 'podSecurityContext.runAsGroup'), 'runAsGroup'));
    expect(at(chartValues, 'podSecurityContext.runAsNonRoot')).toBe(true);
  });

  it("exposes exactly the default ports of the three HTTP apps and the worker's probes", () => {
    const exposed = instructionsOf(runtime, 'EXPOSE')
      .flatMap((args) => args.split(/\s+/))
      .map(Number)
      .sort();
    expect(exposed).toEqual([...HTTP_APPS.map((app) => app.defaultPort), 8043].sort());
  });

  it('sets production mode, listens on all interfaces and keeps the transpile cache under /tmp', () => {
    const env = stageEnv(runtime);
    expect(env.get('NODE_ENV')).toBe('production');
    expect(env.get('HOST')).toBe('0.0.0.0');
    expect(env.get('APP')).toBe('${APP}');
    // /tmp is the one writable path (tmpfs in compose, emptyDir in Helm) under a read-only root.
    expect(env.get('SWC_NODE_CACHE_DIR')).toMatch(/^\/tmp\//);
    expect(instructionsOf(runtime, 'ARG')).toContain('APP=rendezvous');
  });

  it('stops with SIGTERM, checks health with the bundled script and starts through the entrypoint', () => {
    expect(instructionsOf(runtime, 'STOPSIGNAL')).toEqual(['SIGTERM']);
    const [healthcheck] = instructionsOf(runtime, 'HEALTHCHECK');
    const cmd = /\bCMD\s+(\[.*\])$/.exec(healthcheck ?? '');
    expect(execForm(cmd?.[1] ?? 'null')).toEqual(['node', '/usr/local/lib/ztp/healthcheck.mjs']);
    expect(instructionsOf(runtime, 'COPY')).toContain(
      'deploy/docker-entrypoint.sh deploy/healthcheck.mjs /usr/local/lib/ztp/',
    );
    expect(execForm(instructionsOf(runtime, 'ENTRYPOINT')[0] ?? 'null')).toEqual([
      '/bin/sh',
      '/usr/local/lib/ztp/docker-entrypoint.sh',
    ]);
  });

  it('has a start period long enough for the first TypeScript load and a timeout below the interval', () => {
    const [healthcheck = ''] = instructionsOf(runtime, 'HEALTHCHECK');
    const seconds = (flag: string) => Number(new RegExp(`--${flag}=(\\d+)s`).exec(healthcheck)?.[1]);
    expect(seconds('start-period')).toBeGreaterThanOrEqual(30);
    expect(seconds('timeout')).toBeLessThan(seconds('interval'));
  });
});
