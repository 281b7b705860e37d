import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** Accepted from callers as is; anything else (too long, odd characters) is replaced. */
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export type RequestWithId = IncomingMessage & { id?: string };

/**
 * The first middleware: every request gets an id (the caller's `X-Request-Id` when sane, else a
 * UUID), echoed in the response header, found in each log line of the request and in problems.
 */
export function requestIdMiddleware(req: RequestWithId, res: ServerResponse, next: () => void): void {
  req.id = requestIdOf(req);
  res.setHeader(REQUEST_ID_HEADER, req.id);
  next();
}

/** The caller's `X-Request-Id` when sane, else a new UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}
