import { ErrorCode } from '../constants';

export type KexErrorCode =
  /** The kexSuiteName is not one of the six FDO 1.1 suites. */
  | 'unsupported-suite'
  /** xA or xB cannot be parsed (lengths, layout). */
  | 'malformed-parameter'
  /** xA or xB parses but is unusable: point not on the curve, DH value out of range, OAEP failure. */
  | 'invalid-parameter'
  /** An ASYMKEX suite was used without the owner RSA key it needs, or with a non-RSA key. */
  | 'invalid-key'
  /** Stored owner key-exchange state cannot be read back. */
  | 'invalid-state';

const FDO_ERROR: Record<KexErrorCode, ErrorCode> = {
  'unsupported-suite': ErrorCode.MessageBodyError,
  'malformed-parameter': ErrorCode.MessageBodyError,
  'invalid-parameter': ErrorCode.InvalidMessageError,
  'invalid-key': ErrorCode.InternalServerError,
  'invalid-state': ErrorCode.InternalServerError,
};

/** A key exchange step failed. `fdoErrorCode` is the ErrorMessage code a handler should send. */
export class KexError extends Error {
  override readonly name = 'KexError';
  readonly fdoErrorCode: ErrorCode;
  constructor(
    readonly code: KexErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.fdoErrorCode = FDO_ERROR[code];
  }
}
