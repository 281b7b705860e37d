import { type KeyObject } from 'node:crypto';
import { SigAlg } from '@ztp/protocol';

/** The key types this service issues, holds and accepts in CSRs. */
export const KEY_SPECS = ['P-256', 'P-384', 'RSA-2048', 'RSA-3072'] as const;
export type KeySpec = (typeof KEY_SPECS)[number];

export function isKeySpec(value: unknown): value is KeySpec {
  return typeof value === 'string' && (KEY_SPECS as readonly string[]).includes(value);
}

/** The spec of a public or private key, or undefined when it is none of KEY_SPECS. */
export function keySpecOf(key: KeyObject): KeySpec | undefined {
  const details = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'ec':
      if (details?.namedCurve === 'prime256v1') return 'P-256';
      if (details?.namedCurve === 'secp384r1') return 'P-384';
      return undefined;
    case 'rsa':
      if (details?.modulusLength === 2048) return 'RSA-2048';
      if (details?.modulusLength === 3072) return 'RSA-3072';
      return undefined;
    default:
      return undefined;
  }
}

/**
 * The algorithm a key signs with unless told otherwise: the curve's own hash for ECDSA, and for RSA the
 * pairing FDO uses for owner keys (RS256 for 2048-bit, RS384 for 3072-bit).
 */
export function defaultSigAlgForSpec(spec: KeySpec): SigAlg {
  switch (spec) {
    case 'P-256':
      return SigAlg.ES256;
    case 'P-384':
      return SigAlg.ES384;
    case 'RSA-2048':
      return SigAlg.RS256;
    case 'RSA-3072':
      return SigAlg.RS384;
  }
}

/** Whether a key of this spec can produce signatures of this algorithm. */
export function sigAlgFitsKeySpec(alg: SigAlg, spec: KeySpec): boolean {
  switch (alg) {
    case SigAlg.ES256:
      return spec === 'P-256';
    case SigAlg.ES384:
      return spec === 'P-384';
    case SigAlg.RS256:
    case SigAlg.RS384:
    case SigAlg.PS256:
    case SigAlg.PS384:
      return spec === 'RSA-2048' || spec === 'RSA-3072';
    default:
      return false;
  }
}
