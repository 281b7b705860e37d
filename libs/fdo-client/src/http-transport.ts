import { decodeErrorMessage, MAX_MESSAGE_SIZE, MessageType, type ErrorMessage } from '@ztp/protocol';

/**
 * The client side of FDO's HTTP binding (`POST {base}/fdo/101/msg/{type}`, application/cbor): what
 * a device (DI, TO1, TO2) or an owner (TO0) sends. It carries the session token the server returned
 * on the first message of a protocol as `Authorization: Bearer` on every later message, and turns
 * an Error (255) reply into an FdoErrorReply. Network I/O goes through the injected `fetch`.
 */

/** What FdoHttpSession reads of an HTTP reply; a fetch `Response` is one. */
export interface FdoHttpResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** The global fetch, or any function that sends like it (see createKeepAliveFetch). */
export type Fetch = (url: string, init: RequestInit) => Promise<FdoHttpResponse>;

export interface FdoReply {
  type: number;
  body: Uint8Array;
}

/** The server answered with message 255. */
export class FdoErrorReply extends Error {
  override readonly name = 'FdoErrorReply';
  constructor(
    readonly error: ErrorMessage,
    readonly sentType: number,
  ) {
    super(`FDO error ${error.code} after message ${sentType}: ${error.message}`);
  }
  get code(): number {
    return this.error.code;
  }
}

/** The exchange failed below FDO: unreachable server, HTTP error without an FDO body, bad reply. */
export class FdoTransportError extends Error {
  override readonly name = 'FdoTransportError';
}

interface NetworkError {
  readonly message?: string;
  readonly code?: string;
  readonly address?: string;
  readonly port?: number;
  readonly cause?: unknown;
  readonly errors?: readonly unknown[];
}

/**
 * fetch's "fetch failed" with the reason Node keeps in its cause (ECONNREFUSED 127.0.0.1:8041,
 * ENOTFOUND host, a TLS error...); for a host tried on several addresses, the first of them.
 */
export function describeFetchFailure(err: unknown): string {
  const outer = (err ?? {}) as NetworkError;
  let cause = (outer.cause ?? undefined) as NetworkError | undefined;
  if (cause?.errors && cause.errors.length > 0) cause = cause.errors[0] as NetworkError;
  if (!cause) return outer.message ?? String(err);
  const where =
    cause.address !== undefined ? ` ${cause.address}${cause.port !== undefined ? `:${cause.port}` : ''}` : '';
  const reason = cause.code ? `${cause.code}${where}` : (cause.message ?? String(cause));
  return `${outer.message ?? 'fetch failed'} (${reason})`;
}

export interface FdoHttpSessionOptions {
  /** e.g. http://127.0.0.1:8040 (no trailing path). */
  baseUrl: string;
  fetch?: Fetch;
  /** Per-request timeout. Default 30 s. */
  timeoutMs?: number;
  /** Largest reply accepted. Default 65,535 bytes, as go-fdo. */
  maxReplyBytes?: number;
  /** Extra headers on every request (e.g. a station API key for DI). */
  headers?: Record<string, string>;
}

/** One protocol run (DI, TO0, TO1 or TO2) against one server: it owns that run's bearer token. */
export class FdoHttpSession {
  private token: string | undefined;
  private readonly fetch: Fetch;

  constructor(private readonly options: FdoHttpSessionOptions) {
    this.fetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  }

  /** Sends one message and returns the reply; throws FdoErrorReply for a 255 reply. */
  async send(type: number, body: Uint8Array, expectReply?: number): Promise<FdoReply> {
    const headers: Record<string, string> = {
      'content-type': 'application/cbor',
      ...this.options.headers,
    };
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}/fdo/101/msg/${type}`;
    let response: FdoHttpResponse;
    try {
      response = await this.fetch(url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new FdoTransportError(`POST ${url} failed: ${describeFetchFailure(err)}`, { cause: err });
    }
    const replyBytes = new Uint8Array(await response.arrayBuffer());
    if (replyBytes.length > (this.options.maxReplyBytes ?? MAX_MESSAGE_SIZE))
      throw new FdoTransportError(`reply to message ${type} is ${replyBytes.length} bytes, over the limit`);
    const replyType = Number(response.headers.get('message-type'));
    const authorization = response.headers.get('authorization');
    if (authorization?.startsWith('Bearer ')) this.token = authorization.slice('Bearer '.length);
    if (replyType === MessageType.Error) {
      let error: ErrorMessage;
      try {
        error = decodeErrorMessage(replyBytes);
      } catch (err) {
        throw new FdoTransportError(`unreadable error reply to message ${type}: ${(err as Error).message}`);
      }
      throw new FdoErrorReply(error, type);
    }
    if (!response.ok || !Number.isInteger(replyType) || replyType <= 0)
      throw new FdoTransportError(`message ${type}: HTTP ${response.status} without an FDO reply`);
    if (expectReply !== undefined && replyType !== expectReply)
      throw new FdoTransportError(`message ${type}: expected reply ${expectReply}, got ${replyType}`);
    return { type: replyType, body: replyBytes };
  }
}
