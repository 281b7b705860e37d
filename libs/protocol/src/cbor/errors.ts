/**
 * Typed CBOR errors. Every failure to read untrusted bytes surfaces as a CborError, never as a
 * bare Error, RangeError or TypeError, so protocol handlers can map it to FDO error 100.
 */
export type CborErrorCode =
  | 'malformed'
  | 'trailing-bytes'
  | 'duplicate-key'
  | 'indefinite-length'
  | 'non-canonical'
  | 'too-large'
  | 'too-deep'
  | 'unknown-tag'
  | 'unexpected-type';

export class CborError extends Error {
  override readonly name = 'CborError';
  constructor(
    readonly code: CborErrorCode,
    message: string,
  ) {
    super(message);
  }
}
