import { constants, createPublicKey, type KeyObject, sign } from 'node:crypto';
import { SigAlg } from '@ztp/protocol';
import { type Signer } from '@ztp/protocol/cose/signer';
import { KeyCustodyError } from '../errors';
import { defaultSigAlg, keySpecOf, sigAlgFitsKey, sigAlgHash } from '../key-spec';

/**
 * Signs `data` with a private KeyObject, returning the COSE (and WebCrypto) form of the signature:
 * IEEE P1363 r||s for ECDSA, the raw signature for RSA. PSS uses a salt as long as the hash, as COSE
 * PS256/PS384 require.
 */
export function signWithKeyObject(privateKey: KeyObject, alg: SigAlg, data: Uint8Array): Uint8Array {
  const hash = sigAlgHash(alg);
  if (alg === SigAlg.ES256 || alg === SigAlg.ES384) {
    return sign(hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  }
  if (alg === SigAlg.PS256 || alg === SigAlg.PS384) {
    return sign(hash, data, {
      key: privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  }
  return sign(hash, data, { key: privateKey, padding: constants.RSA_PKCS1_PADDING });
}

/**
 * A Signer over a private key held in this process: for devices and tools that own their key (the
 * device simulator, test fixtures). Server-side keys go through KeyCustody instead.
 */
export function signerForPrivateKey(privateKey: KeyObject, alg?: SigAlg): Signer {
  const publicKey = createPublicKey(privateKey);
  const spec = keySpecOf(publicKey);
  if (!spec)
    throw new KeyCustodyError('unsupported-key-type', 'key is not P-256, P-384, RSA-2048 or RSA-3072');
  const chosen = alg ?? defaultSigAlg(spec);
  if (!sigAlgFitsKey(chosen, spec)) {
    throw new KeyCustodyError('unsupported-algorithm', `algorithm ${chosen} does not fit a ${spec} key`);
  }
  return {
    alg: chosen,
    publicKey,
    sign: async (data) => signWithKeyObject(privateKey, chosen, data),
  };
}
