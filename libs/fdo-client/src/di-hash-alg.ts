import { type KeyObject } from 'node:crypto';
import { HashAlg } from '@ztp/protocol';

export type DiHashAlg = typeof HashAlg.SHA256 | typeof HashAlg.SHA384;

/**
 * The hash both ends of a DI pick from two keys, as go-fdo does (hashAlgFor): SHA-384 when both
 * keys are of the 384-bit class (P-384, RSA >= 3072 bits), otherwise SHA-256. The manufacturer
 * uses it for the device certificate chain hash (device key, issuing CA key); the device for its
 * header HMAC and the manufacturer key hash (its own key, the manufacturer key).
 */
export function diHashAlgFor(a: KeyObject, b: KeyObject): DiHashAlg {
  return keyStrength(a) >= 384 && keyStrength(b) >= 384 ? HashAlg.SHA384 : HashAlg.SHA256;
}

/** The HMAC algorithm that goes with a DI hash algorithm. */
export function diHmacAlgFor(hashAlg: DiHashAlg): typeof HashAlg.HMAC_SHA256 | typeof HashAlg.HMAC_SHA384 {
  return hashAlg === HashAlg.SHA384 ? HashAlg.HMAC_SHA384 : HashAlg.HMAC_SHA256;
}

function keyStrength(key: KeyObject): number {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') return details?.namedCurve === 'secp384r1' ? 384 : 256;
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss')
    return (details?.modulusLength ?? 0) >= 3072 ? 384 : 256;
  return 0;
}
