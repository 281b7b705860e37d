import { sztp } from '@ztp/protocol';
import { SztpIdentityError } from './sztp-device-identifier';

/**
 * The RESTCONF edges of both SZTP servers (rendezvous' redirect server and owner onboarding's
 * bootstrap server), free of any HTTP framework: media-type negotiation, request body text, host-meta,
 * and turning every refusal into an `ietf-restconf:errors` answer with its status.
 */
export type Encoding = sztp.Encoding;

/** The RESTCONF root that host-meta points at. */
export const RESTCONF_ROOT = '/restconf';
export const GET_BOOTSTRAPPING_DATA = 'ietf-sztp-bootstrap-server:get-bootstrapping-data';
export const REPORT_PROGRESS = 'ietf-sztp-bootstrap-server:report-progress';

/** A refusal with the status and RESTCONF error to answer it with. */
export class RestconfRequestError extends Error {
  override readonly name = 'RestconfRequestError';
  constructor(
    readonly status: number,
    readonly error: sztp.RestconfError,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(error.errorMessage ?? error.errorTag);
  }

  static of(
    status: number,
    errorTag: sztp.RestconfErrorTag,
    errorMessage: string,
    errorType: sztp.RestconfErrorType = 'application',
  ): RestconfRequestError {
    return new RestconfRequestError(status, { errorType, errorTag, errorMessage });
  }
}

export interface RestconfEncodings {
  readonly request: Encoding;
  readonly response: Encoding;
}

/**
 * The request's encoding from Content-Type (lenient: RFC 8040 types, the legacy `yang.data` spelling,
 * plain JSON/XML; absent means JSON for an empty body) and the answer's from Accept (first supported
 * type not given q=0; a wildcard or no Accept answers like the request). 415 / 406 otherwise.
 */
export function negotiateRestconf(
  contentType: string | undefined,
  accept: string | undefined,
): RestconfEncodings {
  const request =
    contentType === undefined || contentType.trim() === '' ? 'json' : sztp.encodingForMediaType(contentType);
  if (request === undefined) {
    throw RestconfRequestError.of(
      415,
      'invalid-value',
      `Content-Type ${contentType} is not supported; send application/yang-data+json or application/yang-data+xml`,
      'protocol',
    );
  }
  const response = acceptedEncoding(accept, request);
  if (response === undefined) {
    // The refusal itself goes out in the request's encoding: the client accepts neither.
    throw new RestconfRequestError(406, {
      errorType: 'protocol',
      errorTag: 'invalid-value',
      errorMessage: 'Accept names no supported media type (application/yang-data+json or +xml)',
    });
  }
  return { request, response };
}

function acceptedEncoding(accept: string | undefined, fallback: Encoding): Encoding | undefined {
  if (accept === undefined || accept.trim() === '') return fallback;
  for (const entry of accept.split(',')) {
    const [type = '', ...parameters] = entry.split(';').map((part) => part.trim().toLowerCase());
    if (parameters.some((p) => /^q=0(\.0*)?$/.test(p))) continue;
    if (type === '*/*' || type === 'application/*') return fallback;
    const encoding = sztp.encodingForMediaType(type);
    if (encoding !== undefined) return encoding;
  }
  return undefined;
}

/**
 * The body as text. Raw bytes (the YANG media types) must be UTF-8; a body the platform parsed as
 * `application/json` is written back as JSON, which the YANG reader then checks like any other.
 */
export function restconfBodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      throw RestconfRequestError.of(400, 'malformed-message', 'the body is not valid UTF-8', 'rpc');
    }
  }
  if (typeof body === 'string') return body;
  if (typeof body === 'object' && Object.keys(body).length === 0) return '';
  try {
    return JSON.stringify(body);
  } catch {
    // Nesting deeper than the stack can follow (thousands of levels): no SZTP input is like that.
    throw RestconfRequestError.of(400, 'malformed-message', 'the JSON body is nested too deeply', 'rpc');
  }
}

/** RFC 8040 section 3.1: where the RESTCONF root is, as XRD (default) or JRD (JSON Accept). */
export function hostMeta(accept: string | undefined): { contentType: string; body: string } {
  const wantsJson = /application\/(jrd\+)?json/i.test(accept ?? '') && !/xrd\+xml/i.test(accept ?? '');
  if (wantsJson) {
    return {
      contentType: 'application/jrd+json',
      body: JSON.stringify({ links: [{ rel: 'restconf', href: RESTCONF_ROOT }] }),
    };
  }
  return {
    contentType: 'application/xrd+xml',
    body:
      "<?xml version='1.0' encoding='UTF-8'?>\n" +
      "<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n" +
      `  <Link rel='restconf' href='${RESTCONF_ROOT}'/>\n` +
      '</XRD>\n',
  };
}

const IDENTITY_STATUS: Record<SztpIdentityError['code'], number> = {
  'no-credentials': 401,
  'untrusted-certificate': 403,
  'no-serial-number': 403,
  'unknown-device': 403,
  'bad-activation-code': 401,
  'credential-mismatch': 403,
  'locked-out': 429,
};

/**
 * What to answer for a failure: a RESTCONF error with its status, or undefined for an unexpected
 * error (a 500 the caller logs). Payload errors keep their error-tag (400 mostly); identity errors
 * are access-denied (401 asks for Basic credentials).
 */
export function restconfFailure(err: unknown): RestconfRequestError | undefined {
  if (err instanceof RestconfRequestError) return err;
  if (err instanceof sztp.SztpPayloadError) {
    const error = sztp.restconfErrorFromPayloadError(err);
    return new RestconfRequestError(sztp.restconfStatusForErrorTag(error.errorTag), error);
  }
  if (err instanceof SztpIdentityError) {
    const status = IDENTITY_STATUS[err.code];
    const headers: Record<string, string> =
      status === 401 ? { 'WWW-Authenticate': 'Basic realm="sztp", charset="UTF-8"' } : {};
    if (err.retryAfterSeconds !== undefined) headers['Retry-After'] = String(err.retryAfterSeconds);
    return new RestconfRequestError(
      status,
      { errorType: 'protocol', errorTag: 'access-denied', errorMessage: err.message },
      headers,
    );
  }
  return undefined;
}

/** The RESTCONF error document for an unexpected failure (details only in the server log). */
export function internalRestconfError(requestId: string | undefined): RestconfRequestError {
  return RestconfRequestError.of(
    500,
    'operation-failed',
    `internal error${requestId ? `; quote request id ${requestId}` : ''}`,
  );
}

/** Serialises an error for the wire. */
export function restconfErrorBody(error: RestconfRequestError, encoding: Encoding): string {
  return sztp.serializeRestconfErrors([error.error], encoding);
}

/** Basic credentials from an Authorization header (undefined when absent or not Basic). */
export function basicCredentials(
  authorization: string | undefined,
): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Content types whose bodies the SZTP routes read as raw bytes (the YANG reader parses them):
 * RFC 8040's, the legacy `yang.data` spelling, and plain XML. Plain `application/json` is parsed by
 * the platform's JSON body parser and re-serialised (see restconfBodyText).
 */
export const SZTP_RAW_BODY_TYPES: readonly string[] = [
  'application/yang-data+json',
  'application/yang-data+xml',
  'application/yang.data+json',
  'application/yang.data+xml',
  'application/xml',
  'text/xml',
];
