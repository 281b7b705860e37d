import { describe, expect, it } from 'vitest';
import { ExpiringCache } from './expiring-cache';

describe('ExpiringCache', () => {
  it('expires entries after the ttl (or a shorter per-entry one) and drops the least recently used', () => {
    let now = 0;
    const cache = new ExpiringCache<string, number>(2, 100, () => now);
    cache.set('a', 1);
    cache.set('b', 2, 10);
    expect(cache.get('a')).toBe(1);
    now = 11;
    expect(cache.get('b')).toBeUndefined();
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recently used
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    now = 200;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')).toBeUndefined();
  });
});
