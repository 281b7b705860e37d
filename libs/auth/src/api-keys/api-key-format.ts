import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `ztp_1f2e3d4c5b6a_<43 base64url characters>`: a fixed marker (so secret
 * scanners and humans recognise them), a 12-hex-digit lookup prefix stored in clear, and a
 * 256-bit random secret.
 *
 * Stored as SHA-256 of the whole key. A slow password hash (bcrypt, scrypt, Argon2) exists to make
 * guessing low-entropy passwords expensive; a uniformly random 256-bit secret cannot be guessed,
 * so a plain preimage-resistant hash protects it as well as a slow one would while keeping every
 * authenticated request cheap.
 */
const API_KEY = /^ztp_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface NewApiKey {
  /** The key to hand out, once. */
  readonly key: string;
  readonly prefix: string;
  readonly sha256: Buffer;
}

export function generateApiKey(random: (size: number) => Buffer = randomBytes): NewApiKey {
  const prefix = random(6).toString('hex');
  const key = `ztp_${prefix}_${random(32).toString('base64url')}`;
  return { key, prefix, sha256: hashApiKey(key) };
}

/** The lookup prefix of a well-formed key, or undefined for anything else. */
export function apiKeyPrefix(candidate: string): string | undefined {
  return API_KEY.exec(candidate)?.[1];
}

export function looksLikeApiKey(candidate: string): boolean {
  return candidate.startsWith('ztp_');
}

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** Constant-time comparison of a presented key with a stored hash. */
export function apiKeyMatches(key: string, storedSha256: Uint8Array): boolean {
  const presented = hashApiKey(key);
  return storedSha256.length === presented.length && timingSafeEqual(presented, storedSha256);
}
