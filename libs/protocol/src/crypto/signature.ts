import { constants, sign, verify, type KeyObject } from 'node:crypto';
import { SigAlg } from '../fdo/constants';
import { CryptoError } from './errors';
import { asPlainBytes, type DigestName } from './hash';
import { keyProfile } from './keys';

export type SignatureScheme = 'ecdsa' | 'rsa-pkcs1' | 'rsa-pss';

export interface SigAlgSpec {
  readonly alg: SigAlg;
  readonly name: string;
  readonly digest: DigestName;
  readonly scheme: SignatureScheme;
  /** ECDSA only: the curve the algorithm is defined for. */
  readonly curve?: 'P-256' | 'P-384';
}

const SPECS: Record<number, SigAlgSpec> = {
  [SigAlg.ES256]: { alg: SigAlg.ES256, name: 'ES256', digest: 'sha256', scheme: 'ecdsa', curve: 'P-256' },
  [SigAlg.ES384]: { alg: SigAlg.ES384, name: 'ES384', digest: 'sha384', scheme: 'ecdsa', curve: 'P-384' },
  [SigAlg.RS256]: { alg: SigAlg.RS256, name: 'RS256', digest: 'sha256', scheme: 'rsa-pkcs1' },
  [SigAlg.RS384]: { alg: SigAlg.RS384, name: 'RS384', digest: 'sha384', scheme: 'rsa-pkcs1' },
  [SigAlg.PS256]: { alg: SigAlg.PS256, name: 'PS256', digest: 'sha256', scheme: 'rsa-pss' },
  [SigAlg.PS384]: { alg: SigAlg.PS384, name: 'PS384', digest: 'sha384', scheme: 'rsa-pss' },
};

export function isSigAlg(alg: unknown): alg is SigAlg {
  return typeof alg === 'number' && alg in SPECS;
}

/** Digest and padding of a COSE signature algorithm; unknown ids are CryptoError('unsupported-algorithm'). */
export function sigAlgSpec(alg: number): SigAlgSpec {
  const spec = SPECS[alg];
  if (!spec) throw new CryptoError('unsupported-algorithm', `unsupported signature algorithm ${alg}`);
  return spec;
}

/** COSE name of a signature algorithm id (e.g. -7 -> "ES256"), or the number as text when unknown. */
export function sigAlgName(alg: number): string {
  return SPECS[alg]?.name ?? String(alg);
}

/**
 * Whether alg can be used with key: ES256 only with P-256, ES384 only with P-384, RS* and PS* only
 * with RSA (an id-RSASSA-PSS key only with PS*).
 */
export function sigAlgFitsKey(alg: number, key: KeyObject): boolean {
  const spec = SPECS[alg];
  if (!spec) return false;
  const profile = keyProfile(key);
  if (spec.scheme === 'ecdsa') return profile.kind === 'ec' && profile.curve === spec.curve;
  if (profile.kind !== 'rsa') return false;
  return spec.scheme === 'rsa-pss' || !profile.pssOnly;
}

export function assertSigAlgFitsKey(alg: number, key: KeyObject): void {
  const spec = sigAlgSpec(alg);
  if (!sigAlgFitsKey(alg, key)) {
    const profile = keyProfile(key);
    const described = profile.kind === 'ec' ? `an EC ${profile.curve}` : `an RSA-${profile.bits}`;
    throw new CryptoError('algorithm-key-mismatch', `${spec.name} cannot be used with ${described} key`);
  }
}

export interface DefaultSigAlgOptions {
  /** RSA only: sign with PSS instead of PKCS#1 v1.5 (forced for id-RSASSA-PSS keys). */
  pss?: boolean;
}

/**
 * The signature algorithm a key signs with by default: P-256 -> ES256, P-384 -> ES384, RSA -> RS256
 * below 3072 bits and RS384 from 3072 bits (PS256/PS384 with `pss`).
 */
export function defaultSigAlgForKey(key: KeyObject, options: DefaultSigAlgOptions = {}): SigAlg {
  const profile = keyProfile(key);
  if (profile.kind === 'ec') return profile.curve === 'P-256' ? SigAlg.ES256 : SigAlg.ES384;
  const strong = profile.bits >= 3072;
  if (options.pss || profile.pssOnly) return strong ? SigAlg.PS384 : SigAlg.PS256;
  return strong ? SigAlg.RS384 : SigAlg.RS256;
}

function nodeKeyInput(spec: SigAlgSpec, key: KeyObject) {
  switch (spec.scheme) {
    case 'ecdsa':
      return { key, dsaEncoding: 'ieee-p1363' as const };
    case 'rsa-pkcs1':
      return { key, padding: constants.RSA_PKCS1_PADDING };
    case 'rsa-pss':
      return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
  }
}

/**
 * Signs data with a private key. The signature has COSE form: IEEE P1363 r||s for ECDSA, the raw
 * RSA block otherwise; PSS uses a salt as long as the hash.
 */
export function signWithAlg(alg: number, privateKey: KeyObject, data: Uint8Array): Uint8Array {
  const spec = sigAlgSpec(alg);
  if (privateKey.type !== 'private') throw new CryptoError('invalid-key', 'signing needs a private key');
  assertSigAlgFitsKey(alg, privateKey);
  return asPlainBytes(sign(spec.digest, data, nodeKeyInput(spec, privateKey)));
}

/**
 * Verifies a COSE-form signature. Returns false for a signature that does not verify (including
 * one of the wrong length); throws CryptoError when the algorithm is unknown or does not fit the key.
 */
export function verifyWithAlg(
  alg: number,
  publicKey: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const spec = sigAlgSpec(alg);
  assertSigAlgFitsKey(alg, publicKey);
  if (spec.scheme === 'ecdsa' && signature.length !== (spec.curve === 'P-256' ? 64 : 96)) return false;
  try {
    return verify(spec.digest, data, nodeKeyInput(spec, publicKey), signature);
  } catch {
    // OpenSSL reports some malformed signatures (e.g. an RSA block larger than the modulus) as errors.
    return false;
  }
}
