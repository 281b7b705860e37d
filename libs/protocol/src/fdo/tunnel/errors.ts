import { ErrorCode } from '../constants';

export type TunnelErrorCode =
  /** The cipher suite id is not one this implementation speaks. */
  | 'unsupported-cipher'
  /** The encrypted message is not the COSE structure the suite calls for (CBOR, headers, IV). */
  | 'malformed'
  /** The structure names a different algorithm than the negotiated suite. */
  | 'algorithm-mismatch'
  /** Tag or MAC check failed: tampered ciphertext, tag, IV or headers, or a different key. */
  | 'authentication-failed'
  /** An outgoing plaintext is longer than the suite can carry (AES-CCM with a 2-byte length). */
  | 'too-large'
  /** Stored tunnel keys cannot be read back, or do not fit their cipher suite. */
  | 'invalid-state';

const FDO_ERROR: Record<TunnelErrorCode, ErrorCode> = {
  'unsupported-cipher': ErrorCode.MessageBodyError,
  malformed: ErrorCode.MessageBodyError,
  'algorithm-mismatch': ErrorCode.InvalidMessageError,
  'authentication-failed': ErrorCode.InvalidMessageError,
  'too-large': ErrorCode.InternalServerError,
  'invalid-state': ErrorCode.InternalServerError,
};

/** A TO2 tunnel operation failed. `fdoErrorCode` is the ErrorMessage code a handler should send. */
export class TunnelError extends Error {
  override readonly name = 'TunnelError';
  readonly fdoErrorCode: ErrorCode;
  constructor(
    readonly code: TunnelErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.fdoErrorCode = FDO_ERROR[code];
  }
}
