import { ErrorCode } from '@ztp/protocol';

/**
 * A protocol failure to be answered with FDO message 255. `code` is the ErrorMessage code the
 * other side sees (1 invalid token, 2 invalid voucher, 3 bad owner signature, 5 invalid GUID,
 * 6 not found, 100 malformed body, 101 failed check, 102 credential reuse refused, 500 internal);
 * `message` goes on the wire, so it names what was wrong without leaking internals.
 */
export class FdoProtocolError extends Error {
  override readonly name = 'FdoProtocolError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; expected?: boolean },
  ) {
    super(message, options);
    this.expected = options?.expected ?? false;
  }

  /**
   * A refusal on the protocol's normal path (a device asking TO1 before its owner's TO0 landed):
   * answered and counted like any other, but logged at debug, so a healthy fleet logs no warnings.
   */
  readonly expected: boolean;

  static malformed(message: string, cause?: unknown): FdoProtocolError {
    return new FdoProtocolError(ErrorCode.MessageBodyError, message, { cause });
  }

  static invalid(message: string, cause?: unknown): FdoProtocolError {
    return new FdoProtocolError(ErrorCode.InvalidMessageError, message, { cause });
  }

  static badToken(message = 'missing, invalid or expired session token'): FdoProtocolError {
    return new FdoProtocolError(ErrorCode.InvalidJwtToken, message);
  }

  static notFound(message: string, options?: { expected?: boolean }): FdoProtocolError {
    return new FdoProtocolError(ErrorCode.ResourceNotFound, message, options);
  }
}
