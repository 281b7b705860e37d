import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasRole, type Principal } from './principal';
import { isTenantRole, rolesInclude, TENANT_ROLES } from './roles';

function controllerSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.controller.ts'))
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'));
}

describe('roles', () => {
  it('every role but tenant:admin is required by some route (a role no route requires grants nothing)', () => {
    const apps = new URL('../../../apps', import.meta.url).pathname;
    const required = controllerSources(apps)
      .flatMap((source) => [...source.matchAll(/@Require\w*\(([^)]*)\)/g)].map((match) => match[1]!))
      .join(' ');
    const unused = TENANT_ROLES.filter((role) => role !== 'tenant:admin' && !required.includes(`'${role}'`));
    expect(unused).toEqual([]);
  });

  it('tenant:admin holds every tenant role; others only themselves', () => {
    expect(rolesInclude(['tenant:admin'], 'vouchers:write')).toBe(true);
    expect(rolesInclude(['vouchers:read'], 'vouchers:read')).toBe(true);
    expect(rolesInclude(['vouchers:read'], 'vouchers:write')).toBe(false);
  });

  it('operators hold no tenant role', () => {
    const operator: Principal = {
      kind: 'operator',
      actor: 'operator:bootstrap',
      credential: 'bootstrap-key',
    };
    expect(hasRole(operator, 'vouchers:read')).toBe(false);
  });

  it('knows its roles', () => {
    expect(isTenantRole('audit:read')).toBe(true);
    expect(isTenantRole('root')).toBe(false);
    expect(isTenantRole(7)).toBe(false);
  });
});
