import { describe, expect, it } from 'vitest';
import { ExpiringCache } from './expiring-cache';

describe('ExpiringCache', () => {
  it('drops the least recently used entry when full, and entries past their TTL', () => {
    let now = 0;
    const cache = new ExpiringCache<string, number>(2, 100, () => now);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    now = 100;
    expect(cache.get('a')).toBeUndefined();
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
