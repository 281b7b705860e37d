import { type KeyObject } from 'node:crypto';
import { type SigAlg } from '../fdo/constants';

/**
 * Something that can sign with a private key it does not have to reveal. The software signer below
 * holds a KeyObject; an HSM or KMS adapter implements the same interface. Async because remote
 * signers are.
 */
export interface Signer {
  /** COSE algorithm this signer produces. */
  readonly alg: SigAlg;
  /** The matching public key. */
  readonly publicKey: KeyObject;
  /** Returns the signature in COSE form (IEEE P1363 r||s for ECDSA, raw for RSA). */
  sign(data: Uint8Array): Promise<Uint8Array>;
}
