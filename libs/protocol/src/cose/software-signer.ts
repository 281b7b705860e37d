import { type KeyObject } from 'node:crypto';
import { CryptoError } from '../crypto/errors';
import { toPublicKey } from '../crypto/keys';
import { assertSigAlgFitsKey, defaultSigAlgForKey, signWithAlg } from '../crypto/signature';
import { type SigAlg } from '../fdo/constants';
import { type Signer } from './signer';

export interface SoftwareSignerOptions {
  /** Explicit algorithm; must fit the key. Default: chosen from the key (see defaultSigAlgForKey). */
  alg?: SigAlg;
  /** RSA only: PSS instead of PKCS#1 v1.5 when alg is not given. */
  pss?: boolean;
}

/**
 * A Signer holding a private KeyObject in process memory. The algorithm follows the key: P-256 ->
 * ES256, P-384 -> ES384, RSA -> RS256 (< 3072 bits) or RS384, or PS256/PS384 with `pss`.
 */
export class SoftwareSigner implements Signer {
  readonly alg: SigAlg;
  readonly publicKey: KeyObject;

  constructor(
    private readonly privateKey: KeyObject,
    options: SoftwareSignerOptions = {},
  ) {
    if (privateKey.type !== 'private')
      throw new CryptoError('invalid-key', 'a software signer needs a private key');
    this.alg = options.alg ?? defaultSigAlgForKey(privateKey, { pss: options.pss });
    assertSigAlgFitsKey(this.alg, privateKey);
    this.publicKey = toPublicKey(privateKey);
  }

  sign(data: Uint8Array): Promise<Uint8Array> {
    try {
      return Promise.resolve(signWithAlg(this.alg, this.privateKey, data));
    } catch (err) {
      return Promise.reject(err);
    }
  }
}

export function createSoftwareSigner(
  privateKey: KeyObject,
  options: SoftwareSignerOptions = {},
): SoftwareSigner {
  return new SoftwareSigner(privateKey, options);
}
