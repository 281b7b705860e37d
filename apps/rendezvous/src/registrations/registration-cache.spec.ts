import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RegistrationLookupCache, type To1Lookup } from './registration-cache';

const lookup = (expiresAtMs: number): To1Lookup => ({
  deviceKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
  to1d: Uint8Array.of(1, 2, 3),
  expiresAtMs,
});

describe('RegistrationLookupCache', () => {
  it('serves an entry for its TTL and never past the registration expiry', () => {
    const cache = new RegistrationLookupCache(5000);
    const entry = lookup(10_000);
    cache.set('a', entry, 1000);
    expect(cache.get('a', 5999)).toBe(entry);
    expect(cache.get('a', 6000)).toBeUndefined();
    cache.set('b', lookup(2000), 1000);
    expect(cache.get('b', 2000)).toBeUndefined();
  });

  it('evicts the least recently used beyond capacity, and on delete', () => {
    const cache = new RegistrationLookupCache(5000, 2);
    cache.set('a', lookup(99_000), 0);
    cache.set('b', lookup(99_000), 0);
    cache.get('a', 1);
    cache.set('c', lookup(99_000), 2);
    expect(cache.get('b', 3)).toBeUndefined();
    expect(cache.get('a', 3)).toBeDefined();
    cache.delete('a');
    expect(cache.get('a', 4)).toBeUndefined();
  });

  it('a TTL of 0 caches nothing', () => {
    const cache = new RegistrationLookupCache(0);
    cache.set('a', lookup(99_000), 0);
    expect(cache.get('a', 0)).toBeUndefined();
  });
});
