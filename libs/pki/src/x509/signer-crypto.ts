import { SigAlg } from '@ztp/protocol';
import { type Signer } from '@ztp/protocol/cose/signer';
import { PkiError } from '../errors';
import { type X509Crypto } from './runtime';

/** The WebCrypto algorithm (with the key's own parameters folded in) for a COSE signature algorithm. */
export function webCryptoSigningAlgorithm(alg: SigAlg): {
  name: string;
  hash: string;
  namedCurve?: string;
  saltLength?: number;
} {
  switch (alg) {
    case SigAlg.ES256:
      return { name: 'ECDSA', hash: 'SHA-256', namedCurve: 'P-256' };
    case SigAlg.ES384:
      return { name: 'ECDSA', hash: 'SHA-384', namedCurve: 'P-384' };
    case SigAlg.RS256:
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    case SigAlg.RS384:
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' };
    case SigAlg.PS256:
      return { name: 'RSA-PSS', hash: 'SHA-256', saltLength: 32 };
    case SigAlg.PS384:
      return { name: 'RSA-PSS', hash: 'SHA-384', saltLength: 48 };
    default:
      throw new PkiError(
        'unsupported-signature-algorithm',
        `no X.509 signature algorithm for COSE alg ${alg}`,
      );
  }
}

/**
 * A stand-in WebCrypto for @peculiar/x509's generators, backed by a Signer, so certificates and CSRs
 * are signed by whatever holds the key (KeyCustody, an HSM, a device) without the private key ever
 * becoming a CryptoKey here.
 *
 * The generators need exactly two calls: `subtle.exportKey('spki', publicKey)` and
 * `subtle.sign(algorithm, privateKey, tbs)`. They read the algorithm from `privateKey.algorithm`,
 * and expect the WebCrypto signature form, which is the COSE form a Signer returns (P1363 for ECDSA);
 * the library re-encodes it as DER for X.509. The key handles below are opaque tokens that only
 * this provider accepts.
 */
export function signerCrypto(signer: Signer): {
  crypto: X509Crypto;
  keys: { privateKey: CryptoKeyHandle; publicKey: CryptoKeyHandle };
} {
  const algorithm = webCryptoSigningAlgorithm(signer.alg);
  const privateKey: CryptoKeyHandle = { type: 'private', extractable: false, algorithm, usages: ['sign'] };
  const publicKey: CryptoKeyHandle = { type: 'public', extractable: true, algorithm, usages: ['verify'] };
  const subtle = {
    async sign(_algorithm: unknown, key: unknown, data: BufferSource): Promise<ArrayBuffer> {
      if (key !== privateKey) throw new Error('signer crypto: unknown private key handle');
      return toArrayBuffer(await signer.sign(toBytes(data)));
    },
    async exportKey(format: string, key: unknown): Promise<ArrayBuffer> {
      if (format !== 'spki' || key !== publicKey)
        throw new Error('signer crypto: only the SPKI public key exports');
      return toArrayBuffer(signer.publicKey.export({ type: 'spki', format: 'der' }));
    },
  };
  const crypto = {
    subtle,
    getRandomValues(): never {
      throw new Error('signer crypto: randomness is passed in explicitly');
    },
  };
  return { crypto: crypto as unknown as X509Crypto, keys: { privateKey, publicKey } };
}

/** The shape of a WebCrypto CryptoKey, which is all the generators read from a key. */
export interface CryptoKeyHandle {
  readonly type: 'private' | 'public';
  readonly extractable: boolean;
  readonly algorithm: ReturnType<typeof webCryptoSigningAlgorithm>;
  readonly usages: string[];
}

type BufferSource = ArrayBuffer | ArrayBufferView;

function toBytes(data: BufferSource): Uint8Array {
  return ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
