import { describe, expect, it } from 'vitest';
import { hasRole, type Principal } from './principal';
import { isTenantRole, rolesInclude } from './roles';

describe('roles', () => {
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
