import { createHash, timingSafeEqual } from 'node:crypto';
import { type RandomSource } from '@ztp/protocol';

/**
 * Station API keys look like `ztpst_<12 hex>_<43 base64url>`: a marker distinct from tenant API
 * keys (a station key opens DI and nothing else), a lookup prefix stored in clear, and a 256-bit
 * random secret. Stored as SHA-256 of the whole key: the secret is uniformly random, so a slow
 * password hash would add cost and no protection.
 */
const STATION_KEY = /^ztpst_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;

/** The request header a station sends its key in (the bearer header carries the DI session). */
export const STATION_KEY_HEADER = 'x-station-key';

export interface NewStationKey {
  /** Shown once, at creation. */
  readonly key: string;
  readonly prefix: string;
  readonly sha256: string;
}

export function generateStationKey(random: RandomSource): NewStationKey {
  const prefix = Buffer.from(random(6)).toString('hex');
  const key = `ztpst_${prefix}_${Buffer.from(random(32)).toString('base64url')}`;
  return { key, prefix, sha256: hashStationKey(key) };
}

/** The lookup prefix of a well-formed key; undefined for anything else. */
export function stationKeyPrefix(candidate: string): string | undefined {
  return STATION_KEY.exec(candidate)?.[1];
}

export function hashStationKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Constant-time check of a presented key against the stored hash. */
export function stationKeyMatches(key: string, storedSha256: string): boolean {
  const presented = Buffer.from(hashStationKey(key), 'hex');
  const stored = Buffer.from(storedSha256, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}
