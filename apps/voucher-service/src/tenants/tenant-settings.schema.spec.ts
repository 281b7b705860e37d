import { describe, expect, it } from 'vitest';
import { applySettingsPatch, tenantSettingsPatchSchema } from './tenant-settings.schema';

describe('tenant settings updates', () => {
  it('accepts addresses that make valid FDO structures', () => {
    const patch = tenantSettingsPatchSchema.parse({
      rendezvous: [{ ip: '127.0.0.1', port: 8040, protocol: 'http' }],
      ownerOnboarding: [{ dns: 'owner.example.com', port: 443, protocol: 'https' }],
      to0WaitSeconds: 3600,
    });
    expect(applySettingsPatch({ credentialReuse: true }, patch)).toEqual({
      credentialReuse: true,
      rendezvous: [{ ip: '127.0.0.1', port: 8040, protocol: 'http' }],
      ownerOnboarding: [{ dns: 'owner.example.com', port: 443, protocol: 'https' }],
      to0WaitSeconds: 3600,
    });
  });

  it('removes fields set to null and keeps absent ones', () => {
    const patch = tenantSettingsPatchSchema.parse({ credentialReuse: null });
    expect(applySettingsPatch({ credentialReuse: true, to0WaitSeconds: 60 }, patch)).toEqual({
      to0WaitSeconds: 60,
    });
  });

  it('refuses bad addresses and unknown fields', () => {
    for (const bad of [
      { ownerOnboarding: [{ port: 80, protocol: 'http' }] },
      { ownerOnboarding: [{ ip: '300.1.1.1', port: 80, protocol: 'http' }] },
      { rendezvous: [{ dns: 'rv', port: 0, protocol: 'http' }] },
      { rendezvous: [{ dns: 'rv', port: 80, protocol: 'coap' }] },
      { to0WaitSeconds: 5 },
      { autoAcceptTransfersFrom: ['not-a-uuid'] },
      { colour: 'blue' },
    ])
      expect(tenantSettingsPatchSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });
});
