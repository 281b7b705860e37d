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

  it('shares one load between concurrent misses, and does not keep a failed load', async () => {
    const cache = new ExpiringCache<string, number>(8, 1000);
    let loads = 0;
    let release!: (value: number) => void;
    const load = () => {
      loads++;
      return new Promise<number>((resolve) => (release = resolve));
    };
    const waiting = [cache.getOrLoad('k', load), cache.getOrLoad('k', load), cache.getOrLoad('k', load)];
    release(7);
    expect(await Promise.all(waiting)).toEqual([7, 7, 7]);
    expect(loads).toBe(1);
    expect(await cache.getOrLoad('k', load)).toBe(7);
    expect(loads).toBe(1);

    const failing = () => Promise.reject(new Error('database down'));
    await expect(Promise.all([cache.getOrLoad('x', failing), cache.getOrLoad('x', failing)])).rejects.toThrow(
      'database down',
    );
    expect(await cache.getOrLoad('x', async () => 9)).toBe(9);
  });
});
