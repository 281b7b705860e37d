import { createHash } from 'node:crypto';

/** SHA-256 over the certificate's DER, lowercase hex without separators. */
export function certificateFingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}
