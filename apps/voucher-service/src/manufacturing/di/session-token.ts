import { createHash } from 'node:crypto';
import { type RandomSource } from '@ztp/protocol';

/** A new DI session token (256 random bits, base64url) for the device to echo as a bearer token. */
export function newSessionToken(random: RandomSource): string {
  return Buffer.from(random(32)).toString('base64url');
}

/** How a session is found: only the token's SHA-256 is stored. */
export function sessionTokenKey(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
