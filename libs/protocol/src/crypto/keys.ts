import { createPublicKey, type KeyObject } from 'node:crypto';
import { CryptoError } from './errors';

/** What matters about an asymmetric key for FDO: its family and curve or modulus size. */
export type KeyProfile =
  | { readonly kind: 'ec'; readonly curve: 'P-256' | 'P-384' }
  /** `pssOnly` marks an id-RSASSA-PSS key, which node:crypto only lets sign or verify with PSS. */
  | { readonly kind: 'rsa'; readonly bits: number; readonly pssOnly: boolean };

const CURVES: Record<string, 'P-256' | 'P-384'> = {
  prime256v1: 'P-256',
  'P-256': 'P-256',
  secp384r1: 'P-384',
  'P-384': 'P-384',
};

/** Classifies a public or private KeyObject; anything FDO cannot use is a CryptoError('invalid-key'). */
export function keyProfile(key: KeyObject): KeyProfile {
  if (key.type === 'secret')
    throw new CryptoError('invalid-key', 'expected an asymmetric key, got a secret key');
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = CURVES[details.namedCurve ?? ''];
      if (!curve)
        throw new CryptoError('invalid-key', `unsupported EC curve ${details.namedCurve ?? '(unknown)'}`);
      return { kind: 'ec', curve };
    }
    case 'rsa':
    case 'rsa-pss':
      return { kind: 'rsa', bits: details.modulusLength ?? 0, pssOnly: key.asymmetricKeyType === 'rsa-pss' };
    default:
      throw new CryptoError('invalid-key', `unsupported key type ${key.asymmetricKeyType ?? '(unknown)'}`);
  }
}

/** Same family and the same curve or RSA modulus size: the FDO rule for keys along one voucher. */
export function sameKeyProfile(a: KeyObject, b: KeyObject): boolean {
  const pa = keyProfile(a);
  const pb = keyProfile(b);
  if (pa.kind === 'ec') return pb.kind === 'ec' && pa.curve === pb.curve;
  return pb.kind === 'rsa' && pa.bits === pb.bits;
}

/**
 * The hash strength a key calls for (FDO 1.1 3.3.2): 384 for P-384 and RSA of 3072 bits or more,
 * 256 otherwise.
 */
export function keyHashClass(key: KeyObject): 256 | 384 {
  const profile = keyProfile(key);
  if (profile.kind === 'ec') return profile.curve === 'P-384' ? 384 : 256;
  return profile.bits >= 3072 ? 384 : 256;
}

/** The public half of a key (returns public keys unchanged). */
export function toPublicKey(key: KeyObject): KeyObject {
  return key.type === 'public' ? key : createPublicKey(key);
}

/** True when both keys hold the same public key material (private keys compare by their public half). */
export function publicKeysEqual(a: KeyObject, b: KeyObject): boolean {
  return toPublicKey(a).equals(toPublicKey(b));
}
