import { createHash, randomBytes } from 'node:crypto';

/**
 * TO2 session tokens: 256 random bits, base64url, handed to the device in `Authorization: Bearer`
 * with ProveOVHdr. Only their SHA-256 is stored, so the session table does not hand out sessions.
 */
export function newSessionToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: sessionTokenHash(token) };
}

export function sessionTokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
