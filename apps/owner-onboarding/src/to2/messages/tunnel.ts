import { FdoProtocolError } from '@ztp/platform';
import { ErrorCode, TunnelError, TunnelSession } from '@ztp/protocol';
import { type To2SessionState } from '../session/session-state';

/** The session's tunnel (messages 65 to 71). */
export function sessionTunnel(state: To2SessionState): TunnelSession {
  if (!state.tunnelKeys) throw new FdoProtocolError(ErrorCode.InternalServerError, 'internal error');
  return TunnelSession.import(state.tunnelKeys);
}

/**
 * Opens an encrypted request body. Anything that does not decrypt and authenticate is a message
 * body error (100), the code the FIDO conformance tools expect for bad encryption (FIDO_DOT_66/68/70).
 */
export function openRequest(tunnel: TunnelSession, body: Uint8Array, messageName: string): Uint8Array {
  try {
    return tunnel.decrypt(body);
  } catch (err) {
    if (err instanceof TunnelError && err.code !== 'invalid-state')
      throw FdoProtocolError.malformed(`${messageName}: ${err.message}`, err);
    throw err;
  }
}
