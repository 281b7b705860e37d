// PostgreSQL frontend/backend protocol 3 facts the embedded socket server needs
// (https://www.postgresql.org/docs/current/protocol-message-formats.html).

/** Untyped messages before startup: Int32 length, Int32 code. */
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;
/** Protocol major version 3 in the upper 16 bits of a StartupMessage's code. */
export const PROTOCOL_MAJOR_3 = 3;
/** PostgreSQL refuses longer startup packets (MAX_STARTUP_PACKET_LENGTH). */
export const MAX_STARTUP_LENGTH = 10_000;

/** Typed frontend messages that matter for batching. */
export const SYNC = 0x53; // 'S': ends an extended-query sequence
export const QUERY = 0x51; // 'Q': a simple query is a whole unit of work
export const FLUSH = 0x48; // 'H': the client waits for output without ending the sequence
export const TERMINATE = 0x58; // 'X'

const encodeMessage = (type: string, body: Buffer): Buffer => {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
};

const cString = (text: string): Buffer => Buffer.from(`${text}\0`, 'utf8');

/** A FATAL ErrorResponse, sent before closing a connection the server refuses to serve. */
export function fatalError(sqlState: string, message: string): Buffer {
  const fields = [cString('SFATAL'), cString('VFATAL'), cString(`C${sqlState}`), cString(`M${message}`)];
  return encodeMessage('E', Buffer.concat([...fields, Buffer.from([0])]));
}

/**
 * Returns the shared session to idle whatever a vanished connection left there: the first ROLLBACK
 * ends a transaction block or an implicit transaction left open after a Flush; if an error had made
 * the backend skip messages until Sync, that ROLLBACK is skipped, the Sync ends the skipping, and the
 * second ROLLBACK ends a failed block. Surplus ROLLBACKs only raise a warning, which is discarded.
 */
export const ROLLBACK_ANY_UNIT_OF_WORK: Uint8Array = Buffer.concat([
  encodeMessage('Q', cString('ROLLBACK')),
  encodeMessage('S', Buffer.alloc(0)),
  encodeMessage('Q', cString('ROLLBACK')),
]);
