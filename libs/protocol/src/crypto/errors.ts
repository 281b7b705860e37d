/**
 * Typed failures of the crypto and COSE layers. Structural problems in CBOR surface as CborError;
 * everything about algorithms, keys and signature containers surfaces as CryptoError, so protocol
 * handlers can map either to an FDO error code without string matching.
 */
export type CryptoErrorCode =
  | 'unsupported-algorithm'
  | 'invalid-key'
  | 'algorithm-key-mismatch'
  | 'malformed-cose'
  | 'missing-payload'
  | 'untrusted-chain'
  | 'malformed-pem';

export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
