import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DecodedKeyCache } from './public-key-cache';

describe('DecodedKeyCache', () => {
  it('finds keys by exact bytes and evicts the least recently used beyond capacity', () => {
    const cache = new DecodedKeyCache(2);
    const material = () => ({
      key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
      chain: null,
    });
    const [a, b, c] = [material(), material(), material()];
    cache.set(Uint8Array.of(1), a);
    cache.set(Uint8Array.of(2), b);
    expect(cache.get(new Uint8Array([1]))).toBe(a); // now 2 is the least recently used
    cache.set(Uint8Array.of(3), c);
    expect(cache.size).toBe(2);
    expect(cache.get(Uint8Array.of(2))).toBeUndefined();
    expect(cache.get(Uint8Array.of(1))).toBe(a);
    expect(cache.get(Uint8Array.of(3))).toBe(c);
    expect(cache.get(Uint8Array.of(1, 0))).toBeUndefined();
  });
});
