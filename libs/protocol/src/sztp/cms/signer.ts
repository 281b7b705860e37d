import { constants, createPublicKey, sign as nodeSign, type KeyObject, webcrypto } from 'node:crypto';
import { type Signer } from '../../cose/signer';
import { SigAlg } from '../../fdo/constants';
import { bytesEqual } from '../binary';
import { SztpVerificationError } from '../errors';
import {
  defaultSignatureAlgorithm,
  digestForSignature,
  digestLength,
  type CmsSignatureAlgorithm,
} from './algorithms';
import { parseCertificate } from './certificate';
import { der } from './der';

/**
 * Who signs a CMS SignedData. `sign` receives the DER of the signed attributes (the bytes RFC 5652
 * section 5.4 says are signed) and returns the signature as CMS carries it: DER ECDSA-Sig-Value
 * for ECDSA, the raw signature for RSA and Ed25519.
 *
 * We never hand keys to pkijs (its SignedData.sign() needs a WebCrypto CryptoKey its engine can
 * use). Instead the SignerInfo is assembled here and only this callback touches the key, so a key
 * held in an HSM or cloud KMS signs through a small adapter: `cryptoKeySigner` with a PKCS#11-
 * backed SubtleCrypto, `coseSignerAdapter` around the project's Signer port, or a custom object
 * calling KMS Sign (for KMS "digest" mode, hash the given bytes with `digestForSignature(alg)`).
 */
export interface CmsSigner {
  /** DER certificate of the signing key; identifies the signer (issuerAndSerialNumber). */
  readonly certificate: Uint8Array;
  readonly algorithm: CmsSignatureAlgorithm;
  sign(data: Uint8Array): Promise<Uint8Array>;
}

function nodeSignOptions(algorithm: CmsSignatureAlgorithm, key: KeyObject) {
  if (algorithm.startsWith('rsa-pss-')) {
    const digest = digestForSignature(algorithm);
    return {
      hash: digest,
      key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: digestLength(digest) },
    };
  }
  if (algorithm === 'ed25519') return { hash: null, key: { key } };
  return { hash: digestForSignature(algorithm), key: { key, dsaEncoding: 'der' as const } };
}

/** Software key (node:crypto KeyObject). Checks that the key matches the certificate. */
export function keyObjectSigner(
  certificate: Uint8Array,
  privateKey: KeyObject,
  algorithm: CmsSignatureAlgorithm = defaultSignatureAlgorithm(privateKey),
): CmsSigner {
  const spki = (key: KeyObject) => new Uint8Array(key.export({ type: 'spki', format: 'der' }));
  const certificateKey = parseCertificate(certificate).x509.publicKey;
  if (!bytesEqual(spki(createPublicKey(privateKey)), spki(certificateKey))) {
    throw new SztpVerificationError('invalid-input', 'private key does not match the signer certificate');
  }
  const { hash, key } = nodeSignOptions(algorithm, privateKey);
  return {
    certificate,
    algorithm,
    sign: async (data) => new Uint8Array(nodeSign(hash, data, key)),
  };
}

/** IEEE P1363 r||s (WebCrypto, COSE) → DER ECDSA-Sig-Value (CMS). */
export function ecdsaP1363ToDer(signature: Uint8Array): Uint8Array {
  if (signature.length === 0 || signature.length % 2 !== 0) {
    throw new SztpVerificationError('invalid-input', 'malformed P1363 ECDSA signature');
  }
  const half = signature.length / 2;
  const integer = (bytes: Uint8Array) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    const trimmed = bytes.subarray(start);
    const content = trimmed[0]! & 0x80 ? Uint8Array.from([0, ...trimmed]) : trimmed;
    return Uint8Array.from([0x02, content.length, ...content]);
  };
  return der.sequence(integer(signature.subarray(0, half)), integer(signature.subarray(half)));
}

type SubtleParams = Parameters<typeof webcrypto.subtle.sign>[0];

/**
 * A WebCrypto CryptoKey, signed through `subtle` (default: Node's). Pass the SubtleCrypto of a
 * PKCS#11 provider (e.g. @peculiar/webcrypto-pkcs11) to sign with a non-extractable HSM key.
 * The CMS algorithm follows the key's own algorithm (ECDSA curve, RSASSA-PKCS1-v1_5 / RSA-PSS hash).
 */
export function cryptoKeySigner(
  certificate: Uint8Array,
  key: webcrypto.CryptoKey,
  subtle: webcrypto.SubtleCrypto = webcrypto.subtle,
): CmsSigner {
  const keyAlgorithm = key.algorithm as { name: string; namedCurve?: string; hash?: { name: string } };
  const hashOf = (name: string | undefined) =>
    ({ 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' })[name ?? ''] as
      'sha256' | 'sha384' | 'sha512' | undefined;
  let algorithm: CmsSignatureAlgorithm;
  let params: SubtleParams;
  let p1363 = false;
  switch (keyAlgorithm.name) {
    case 'ECDSA': {
      const digest = { 'P-256': 'sha256', 'P-384': 'sha384', 'P-521': 'sha512' }[
        keyAlgorithm.namedCurve ?? ''
      ] as 'sha256' | 'sha384' | 'sha512' | undefined;
      if (digest === undefined)
        throw new SztpVerificationError('unsupported-algorithm', 'unsupported ECDSA curve');
      algorithm = `ecdsa-${digest}`;
      params = { name: 'ECDSA', hash: `SHA-${digest.slice(3)}` };
      p1363 = true;
      break;
    }
    case 'RSASSA-PKCS1-v1_5':
    case 'RSA-PSS': {
      const digest = hashOf(keyAlgorithm.hash?.name);
      if (digest === undefined)
        throw new SztpVerificationError('unsupported-algorithm', 'unsupported RSA hash');
      const pss = keyAlgorithm.name === 'RSA-PSS';
      algorithm = pss ? `rsa-pss-${digest}` : `rsa-pkcs1-${digest}`;
      params = pss ? { name: 'RSA-PSS', saltLength: digestLength(digest) } : { name: 'RSASSA-PKCS1-v1_5' };
      break;
    }
    case 'Ed25519':
      algorithm = 'ed25519';
      params = { name: 'Ed25519' };
      break;
    default:
      throw new SztpVerificationError(
        'unsupported-algorithm',
        `unsupported key algorithm ${keyAlgorithm.name}`,
      );
  }
  return {
    certificate,
    algorithm,
    sign: async (data) => {
      const signature = new Uint8Array(await subtle.sign(params, key, data));
      return p1363 ? ecdsaP1363ToDer(signature) : signature;
    },
  };
}

/** Adapts the project's COSE Signer port (HSM/KMS adapters written for FDO) to CMS. */
export function coseSignerAdapter(certificate: Uint8Array, signer: Signer): CmsSigner {
  const table: Record<number, CmsSignatureAlgorithm> = {
    [SigAlg.ES256]: 'ecdsa-sha256',
    [SigAlg.ES384]: 'ecdsa-sha384',
    [SigAlg.PS256]: 'rsa-pss-sha256',
    [SigAlg.PS384]: 'rsa-pss-sha384',
    [SigAlg.RS256]: 'rsa-pkcs1-sha256',
    [SigAlg.RS384]: 'rsa-pkcs1-sha384',
  };
  const algorithm = table[signer.alg];
  if (algorithm === undefined)
    throw new SztpVerificationError('unsupported-algorithm', `COSE alg ${signer.alg}`);
  return {
    certificate,
    algorithm,
    sign: async (data) => {
      const signature = await signer.sign(data);
      return algorithm.startsWith('ecdsa-') ? ecdsaP1363ToDer(signature) : signature;
    },
  };
}
