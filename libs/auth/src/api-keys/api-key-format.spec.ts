import { describe, expect, it } from 'vitest';
import { apiKeyMatches, apiKeyPrefix, generateApiKey, hashApiKey, looksLikeApiKey } from './api-key-format';

describe('API key format', () => {
  it('has a visible lookup prefix and a 256-bit secret, and is stored as the SHA-256 of the key', () => {
    const { key, prefix, sha256 } = generateApiKey();
    expect(key).toMatch(/^ztp_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(apiKeyPrefix(key)).toBe(prefix);
    expect(Buffer.from(key.split('_').slice(2).join('_'), 'base64url')).toHaveLength(32);
    expect(sha256).toEqual(hashApiKey(key));
    expect(looksLikeApiKey(key)).toBe(true);
  });

  it('matches only the exact key', () => {
    const { key, sha256 } = generateApiKey();
    expect(apiKeyMatches(key, sha256)).toBe(true);
    const flipped = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    expect(apiKeyMatches(flipped, sha256)).toBe(false);
    expect(apiKeyMatches(key, sha256.subarray(1))).toBe(false);
  });

  it('gives no prefix for malformed keys', () => {
    for (const bad of [
      '',
      'ztp_',
      'ztp_XYZ123456789_' + 'a'.repeat(43),
      'ztp_0123456789ab_short',
      'Bearer x',
    ])
      expect(apiKeyPrefix(bad)).toBeUndefined();
  });
});
