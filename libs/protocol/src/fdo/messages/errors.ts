import { CborError } from '../../cbor';
import { ErrorCode } from '../constants';

/**
 * A protocol-level failure that is not a CBOR structure problem (those stay CborError): an unknown
 * message type, a value that is well-formed but not acceptable, a missing devmod field. Carries the
 * FDO error code the peer should receive in an ErrorMessage (255).
 */
export class FdoMessageError extends Error {
  override readonly name = 'FdoMessageError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The FDO error code to answer with when handling a message failed with `err`: a structurally bad
 * body (CborError) is MessageBodyError (100), a typed protocol error keeps its own code, and anything
 * unexpected is InternalServerError (500).
 */
export function fdoErrorCodeOf(err: unknown): ErrorCode {
  if (err instanceof CborError) return ErrorCode.MessageBodyError;
  if (err instanceof FdoMessageError) return err.code;
  return ErrorCode.InternalServerError;
}
