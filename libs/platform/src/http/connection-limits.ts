import { type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** A client must have sent all its headers within this long (slow-loris style trickling is cut). */
export const HEADERS_TIMEOUT_MS = 10_000;
/** A client must have sent its whole request, body included, within this long. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** How long a refused client gets to read its answer before its connection is dropped. */
const UNREAD_BODY_GRACE_MS = 1_000;

/**
 * Ends a connection whose request body was left unread: half-close at once so the client sees the
 * answer and the end, then drop the socket shortly after. Keeping it open would mean reading the
 * rest of the body (a chunked body has no declared end: gigabytes) or leaving the client hanging.
 */
export function closeUnread(req: IncomingMessage): void {
  const socket = req.socket;
  socket.end();
  setTimeout(() => socket.destroy(), UNREAD_BODY_GRACE_MS).unref();
}

/**
 * A lingering close (RFC 9112 9.6) for an answer sent before its request body was read: Node's own
 * close after a `Connection: close` answer (socket.destroySoon) destroys the socket as soon as the
 * answer is flushed, and closing with unread bytes in the kernel's buffer sends a TCP RST, which
 * can discard the answer before the client reads it (the client sees EPIPE/ECONNRESET and no
 * answer). Instead the socket half-closes and Node's parser discards what still arrives, for at
 * most UNREAD_BODY_GRACE_MS. Call it before the answer is written.
 */
export function lingerOnClose(req: IncomingMessage): void {
  const socket = req.socket as IncomingMessage['socket'] & { destroySoon?: () => void };
  socket.destroySoon = () => closeUnread(req);
}

/**
 * Limits every connection of `server` (REST on Express, the SZTP RESTCONF listener): header and
 * request timeouts, and a response sent before its request's body was read to the end (a 413 from
 * a size-limited body parser, an early refusal) closes the connection instead of reading the rest.
 * The body parsers stop reading at their limit; this makes sure nothing reads on after them.
 */
export function limitConnections(
  server: Server,
  timeouts: { headersMs?: number; requestMs?: number } = {},
): void {
  // Node checks both every connectionsCheckingInterval (30 s unless the server was made with less).
  server.headersTimeout = timeouts.headersMs ?? HEADERS_TIMEOUT_MS;
  server.requestTimeout = timeouts.requestMs ?? REQUEST_TIMEOUT_MS;
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    // 'prefinish' runs before Node's own 'finish' handling closes the socket.
    res.once('prefinish', () => {
      if (!req.complete) lingerOnClose(req);
    });
    res.once('finish', () => {
      if (!req.complete) closeUnread(req);
    });
  });
}

/**
 * Express middleware, before the body parsers: a body of a type they parse (`mediaTypes`) over
 * `maxBodyBytes` (declared, or counted as
 * it arrives, chunked or not) is not read further: a declared one is refused before reading. body-parser stops at its limit too, but then
 * reads the rest of the request to its end before answering 413 ("dump"); it skips that for a
 * request it considers finished, and `upgrade` is what marks one as finished without reading it.
 * The 413 problem then goes out at once and limitConnections closes the connection.
 */
export function stopReadingAtLimit(maxBodyBytes: number, mediaTypes: readonly string[]) {
  const parsed = new Set(mediaTypes.map((type) => type.toLowerCase()));
  return (req: IncomingMessage, _res: ServerResponse, next: (err?: unknown) => void): void => {
    // Other types are read by their routes, with limits of their own (bulk voucher imports).
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!parsed.has(mediaType)) return next();
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) {
      // Refused unread, in the shape body-parser gives its own 413 (the problem filter words it).
      next(Object.assign(new Error('request entity too large'), { status: 413, limit: maxBodyBytes }));
      return;
    }
    let received = 0;
    const count = (chunk: Buffer): void => {
      received += chunk.length;
      if (received <= maxBodyBytes) return;
      req.off('data', count);
      (req as IncomingMessage & { upgrade?: boolean }).upgrade = true;
      req.pause();
    };
    // Only when the request has a body: a 'data' listener starts the stream flowing.
    if (req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined)
      req.on('data', count);
    next();
  };
}
