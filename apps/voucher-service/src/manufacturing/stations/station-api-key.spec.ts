import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateStationKey, stationKeyMatches, stationKeyPrefix } from './station-api-key';

describe('station API keys', () => {
  const random = (n: number) => new Uint8Array(randomBytes(n));

  it('are ztpst_<prefix>_<secret>, found by prefix and checked against their SHA-256', () => {
    const { key, prefix, sha256 } = generateStationKey(random);
    expect(key).toMatch(/^ztpst_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(stationKeyPrefix(key)).toBe(prefix);
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(stationKeyMatches(key, sha256)).toBe(true);
    expect(stationKeyMatches(`${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`, sha256)).toBe(false);
    expect(stationKeyMatches(key, 'ab')).toBe(false);
  });

  it('do not look like tenant API keys or anything else', () => {
    expect(stationKeyPrefix('ztp_0123456789ab_' + 'a'.repeat(43))).toBeUndefined();
    expect(stationKeyPrefix('ztpst_0123456789ab_short')).toBeUndefined();
    expect(stationKeyPrefix('')).toBeUndefined();
  });
});
