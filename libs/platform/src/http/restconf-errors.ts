import { type IncomingMessage } from 'node:http';
import { sztp } from '@ztp/protocol';

/** RESTCONF (RFC 8040) resources: the SZTP servers' operations. Their errors are never RFC 7807. */
const RESTCONF_PATH = /^\/restconf(?:\/|$)/;
const RESTCONF_OPERATION_PATH = /^\/restconf\/operations\/[^/]+$/;

export function isRestconfPath(path: string): boolean {
  return RESTCONF_PATH.test(path);
}

export interface RestconfHttpError {
  readonly status: number;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * The `ietf-restconf:errors` answer for a failure the platform saw before (or instead of) an SZTP
 * route: a body over the limit, a body the JSON parser refused, a method or path no route serves,
 * an unexpected error. A device's RESTCONF client reads only this format (RFC 8040 section 7.1), so
 * an RFC 7807 problem here would be unreadable to it. Status and error-tag follow RFC 8040's table:
 * 413 too-big, 405 operation-not-supported (an operation is only ever POSTed), 400
 * malformed-message, 404 invalid-value, 401/403 access-denied, 429 resource-denied, 5xx
 * operation-failed.
 */
export function restconfHttpError(
  req: IncomingMessage,
  path: string,
  status: number,
  detail: string | undefined,
  requestId: string | undefined,
): RestconfHttpError {
  const encoding =
    acceptedEncoding(req.headers.accept) ?? sztp.encodingForMediaType(req.headers['content-type']) ?? 'json';
  const headers: Record<string, string> = {};
  let error: sztp.RestconfError;
  if (status === 404 && req.method !== 'POST' && RESTCONF_OPERATION_PATH.test(path)) {
    status = 405;
    headers['Allow'] = 'POST';
    error = {
      errorType: 'protocol',
      errorTag: 'operation-not-supported',
      errorMessage: `${req.method} is not supported on an operation resource; POST it`,
    };
  } else if (status >= 500) {
    error = {
      errorType: 'application',
      errorTag: 'operation-failed',
      errorMessage: `internal error${requestId ? `; quote request id ${requestId}` : ''}`,
    };
  } else {
    error = { errorType: 'protocol', errorTag: tagFor(status), ...(detail ? { errorMessage: detail } : {}) };
    if (status === 400) error = { ...error, errorType: 'rpc' };
  }
  return {
    status,
    contentType: sztp.mediaTypeFor(encoding),
    headers,
    body: sztp.serializeRestconfErrors([error], encoding),
  };
}

function tagFor(status: number): sztp.RestconfErrorTag {
  switch (status) {
    case 400:
      return 'malformed-message';
    case 401:
    case 403:
      return 'access-denied';
    case 405:
    case 501:
      return 'operation-not-supported';
    case 409:
      return 'in-use';
    case 413:
      return 'too-big';
    case 429:
      return 'resource-denied';
    default:
      return 'invalid-value';
  }
}

function acceptedEncoding(accept: string | undefined): sztp.Encoding | undefined {
  for (const entry of (accept ?? '').split(',')) {
    const encoding = sztp.encodingForMediaType(entry.split(';')[0]!.trim());
    if (encoding !== undefined) return encoding;
  }
  return undefined;
}
