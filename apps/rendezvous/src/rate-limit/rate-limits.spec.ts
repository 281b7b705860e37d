import { describe, expect, it } from 'vitest';
import { type RendezvousSettings } from '../settings/rendezvous-settings';
import { MemoryRateCounter } from './rate-counter';
import { RateLimitExceeded, RateLimits } from './rate-limits';
import { SourceAddressResolver } from './source-address';

function settings(
  perAddressPerMinute: number,
  perGuidPerMinute: number,
  to0PerAddressPerMinute = 0,
): RendezvousSettings {
  return {
    tokenKey: new Uint8Array(32),
    defaultPolicy: 'open',
    openModeAllowed: true,
    rateLimit: { perAddressPerMinute, perGuidPerMinute, to0PerAddressPerMinute },
    trustedProxies: [],
    lookupCacheSeconds: 0,
    redisUrl: undefined,
    queuePrefix: 'test',
  };
}

describe('MemoryRateCounter', () => {
  it('counts per key in fixed windows and says when the window ends', async () => {
    const counter = new MemoryRateCounter();
    expect(await counter.hit('a', 60_000, 120_500)).toEqual({ count: 1, resetInMs: 59_500 });
    expect((await counter.hit('a', 60_000, 121_000)).count).toBe(2);
    expect((await counter.hit('b', 60_000, 121_000)).count).toBe(1);
    expect((await counter.hit('a', 60_000, 180_000)).count).toBe(1);
  });
});

describe('RateLimits', () => {
  it("counts an owner's TO0 apart from devices' TO1 from the same address", async () => {
    const limits = new RateLimits(settings(2, 0, 3), { now: () => new Date(1_800_000_000_000) });
    for (let i = 0; i < 3; i++) await limits.checkAddress('192.0.2.9', 'to0');
    await expect(limits.checkAddress('192.0.2.9', 'to0')).rejects.toMatchObject({ scope: 'to0-address' });
    // The worker's volume did not use up the devices' budget, nor theirs the worker's.
    for (let i = 0; i < 2; i++) await limits.checkAddress('192.0.2.9', 'to1');
    await expect(limits.checkAddress('192.0.2.9', 'to1')).rejects.toMatchObject({ scope: 'address' });
  });

  it('lets the limit through, then refuses with the seconds left in the window', async () => {
    let now = 1_800_000_000_000;
    const limits = new RateLimits(settings(3, 2), { now: () => new Date(now) });
    for (let i = 0; i < 3; i++) await limits.checkAddress('192.0.2.1');
    const refused = await limits.checkAddress('192.0.2.1').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(RateLimitExceeded);
    expect(refused).toMatchObject({ scope: 'address', retryAfterSeconds: 60 });
    await limits.checkAddress('192.0.2.2');
    await limits.checkGuid('00'.repeat(16));
    await limits.checkGuid('00'.repeat(16));
    await expect(limits.checkGuid('00'.repeat(16))).rejects.toMatchObject({ scope: 'guid' });
    now += 60_000;
    await limits.checkAddress('192.0.2.1');
    await limits.onApplicationShutdown();
  });

  it('a limit of 0 is off', async () => {
    const limits = new RateLimits(settings(0, 0), { now: () => new Date() });
    for (let i = 0; i < 100; i++) await limits.checkAddress('192.0.2.1');
  });
});

describe('SourceAddressResolver', () => {
  it('ignores X-Forwarded-For from untrusted peers', () => {
    const resolver = new SourceAddressResolver([]);
    expect(resolver.resolve('::ffff:192.0.2.7', { 'x-forwarded-for': '198.51.100.1' })).toBe('192.0.2.7');
  });

  it('takes the right-most untrusted hop behind trusted proxies', () => {
    const resolver = new SourceAddressResolver(['10.0.0.0/8', '2001:db8::1']);
    const headers = { 'x-forwarded-for': '203.0.113.9, 198.51.100.1, 10.1.2.3' };
    expect(resolver.resolve('10.0.0.5', headers)).toBe('198.51.100.1');
    expect(resolver.resolve('2001:db8::1', { 'x-forwarded-for': '203.0.113.9' })).toBe('203.0.113.9');
    expect(resolver.resolve('10.0.0.5', {})).toBe('10.0.0.5');
  });
});
