import { timingSafeEqual } from 'node:crypto';

/**
 * Compares two byte strings without leaking where they differ. Different lengths compare unequal
 * (the length itself is not secret for hashes and HMACs of a known algorithm).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}
