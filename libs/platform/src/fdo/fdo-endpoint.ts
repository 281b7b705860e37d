import { randomBytes } from 'node:crypto';
import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { storage as requestLogStorage, Store as RequestLogStore } from 'nestjs-pino/storage.js';
import { type Logger } from 'pino';
import {
  CborError,
  encodeErrorMessage,
  ErrorCode,
  FdoMessageError,
  MAX_MESSAGE_SIZE,
  MessageType,
  newErrorMessage,
} from '@ztp/protocol';
import { closeUnread, lingerOnClose } from '../http/connection-limits';
import { requestIdOf, REQUEST_ID_HEADER } from '../http/request-id';
import { type HttpMetrics } from '../metrics/http-metrics';
import { FdoProtocolError } from './fdo-protocol-error';
import {
  type FdoFailureRecorder,
  type FdoMessageHandlers,
  type FdoReply,
  type FdoRequest,
} from './fdo-message-handler';

/** `POST /fdo/101/msg/{type}`, optionally with a query string (ignored). */
const FDO_PATH = /^\/fdo\/101\/msg\/([^/?#]*)(?:\?.*)?$/;
/** The route label in http_request_duration_seconds, as for Express routes. */
const FDO_ROUTE = '/fdo/101/msg/:type';

/** One FDO message as it arrived, before any checks. */
export interface FdoExchange {
  /** The `{type}` path segment as sent. */
  readonly typeParam: string;
  readonly contentType: string | undefined;
  /** The body exactly as received; undefined when there was none. */
  readonly body: Uint8Array | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly remoteAddress: string;
  readonly requestId: string;
}

export interface FdoEndpointOptions {
  /** MAX_BODY_BYTES; FDO bodies are further capped at the protocol's MAX_MESSAGE_SIZE. */
  readonly maxBodyBytes: number;
}

/**
 * FDO's HTTP binding, shared by every app that speaks FDO: `POST /fdo/101/msg/{type}` with an
 * application/cbor body, the session token in `Authorization: Bearer`, the reply type in the
 * `Message-Type` header. Any failure, an oversized body included, becomes an Error message (255)
 * with a code, a message and a correlation id that is also logged, answered with HTTP 200 as
 * go-fdo's server does. Handlers never see HTTP.
 *
 * It serves these requests on node:http directly, in front of Express and Nest (see
 * `installFdoEndpoint`): FDO messages are the hot path of a fleet's first boot, and the general
 * pipeline (routing, middleware, a completed-request log line each) cost more CPU than most
 * messages' own work. What that pipeline gave every request is kept: the request id (echoed in
 * X-Request-Id, in the log lines written while handling it), the request-duration histogram, and a
 * log line for every refusal (warn) or failure (error); successful messages log at debug.
 */
export class FdoEndpoint {
  private readonly maxBodyBytes: number;
  private readonly failureRecorder: FdoFailureRecorder | undefined;

  constructor(
    private readonly handlers: FdoMessageHandlers,
    private readonly logger: Logger,
    private readonly metrics: HttpMetrics | undefined,
    options: FdoEndpointOptions,
  ) {
    this.maxBodyBytes = Math.min(options.maxBodyBytes, MAX_MESSAGE_SIZE);
    // Told of every message a handler refused (not of those refused before reaching one).
    this.failureRecorder = handlers.failureRecorder;
  }

  /** The message's reply: the handler's, or message 255 for anything that went wrong. Never throws. */
  async exchange(exchange: FdoExchange): Promise<FdoReply> {
    const type = /^\d{1,3}$/.test(exchange.typeParam) ? Number(exchange.typeParam) : -1;
    const log = this.logger.child({ requestId: exchange.requestId });
    let request: FdoRequest | undefined;
    try {
      const handler = this.handlers.get(type);
      if (!handler) throw FdoProtocolError.malformed(`message type ${exchange.typeParam} is not served here`);
      const mediaType = (exchange.contentType ?? '').split(';')[0]!.trim().toLowerCase();
      if (mediaType !== 'application/cbor')
        throw FdoProtocolError.malformed('Content-Type must be application/cbor');
      if (!exchange.body?.length) throw FdoProtocolError.malformed('empty message body');
      if (exchange.body.length > this.maxBodyBytes) throw tooLarge(exchange.body.length, this.maxBodyBytes);
      const body = exchange.body;
      request = {
        type,
        body,
        token: bearerToken(exchange.headers.authorization),
        remoteAddress: exchange.remoteAddress,
        headers: exchange.headers,
        requestId: exchange.requestId,
      };
      const handled = request;
      const reply = await requestLogStorage.run(new RequestLogStore(log), () => handler(handled));
      log.debug({ fdoMessage: type, fdoReply: reply.type }, 'FDO message answered');
      // A handler may answer 255 itself (rendezvous' rate limit): counted, not recorded as a failure.
      this.metrics?.countFdoMessage(this.handlers.has(type) ? type : undefined, undefined);
      return reply;
    } catch (err) {
      const reply = this.errorReply(log, type, err);
      if (request && this.failureRecorder) {
        const { code, message } = describe(err);
        try {
          this.failureRecorder({ request, code, reason: message });
        } catch (recorderError) {
          log.warn({ err: recorderError }, 'FDO failure recorder threw');
        }
      }
      return reply;
    }
  }

  /**
   * The node:http side: answers `POST /fdo/101/msg/{type}` and returns true, or returns false and
   * leaves the request alone (anything else, for the app's own routes).
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST') return false;
    const match = FDO_PATH.exec(req.url ?? '');
    if (!match) return false;
    const requestId = requestIdOf(req);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const started = performance.now();
    res.once('finish', () =>
      this.metrics?.observe('POST', FDO_ROUTE, res.statusCode, (performance.now() - started) / 1000),
    );
    const exchange = (body: Uint8Array | undefined): Promise<FdoReply> =>
      this.exchange({
        typeParam: match[1]!,
        contentType: req.headers['content-type'],
        body,
        headers: req.headers,
        remoteAddress: req.socket.remoteAddress ?? '',
        requestId,
      });

    const type = /^\d{1,3}$/.test(match[1]!) ? Number(match[1]) : -1;
    const refuseOversized = (length: number): void => {
      // Not worth reading (a chunked body may be gigabytes long): stop reading, answer, close.
      req.removeAllListeners('data');
      req.pause();
      res.setHeader('Connection', 'close');
      lingerOnClose(req);
      res.once('finish', () => closeUnread(req));
      write(
        res,
        this.errorReply(this.logger.child({ requestId }), type, tooLarge(length, this.maxBodyBytes)),
      );
    };
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.maxBodyBytes) {
      refuseOversized(declared);
      return true;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received <= this.maxBodyBytes) chunks.push(chunk);
      else if (!refused) {
        refused = true;
        chunks.length = 0;
        refuseOversized(received);
      }
    });
    req.once('end', () => {
      if (refused) return;
      const body =
        chunks.length === 1
          ? new Uint8Array(chunks[0]!.buffer, chunks[0]!.byteOffset, chunks[0]!.length)
          : chunks.length
            ? new Uint8Array(Buffer.concat(chunks))
            : undefined;
      void exchange(body).then((reply) => write(res, reply));
    });
    req.once('error', () => res.destroy());
    return true;
  }

  private errorReply(log: Logger, prevType: number, err: unknown): FdoReply {
    const { code, message, unexpected, expected } = describe(err);
    this.metrics?.countFdoMessage(this.handlers.has(prevType) ? prevType : undefined, code);
    const correlationId = randomBytes(6).readUIntBE(0, 6);
    const fields = { fdoMessage: prevType, fdoError: code, correlationId };
    // A refusal the server chose (even with code 500, e.g. a device's failed configuration step) is
    // a warning; a failure nobody planned for (an exception, or one wrapped as 500) is an error.
    if (unexpected) log.error({ ...fields, err }, 'FDO internal error');
    else if (expected) log.debug({ ...fields, reason: message }, 'FDO request refused (expected)');
    else log.warn({ ...fields, reason: message }, 'FDO request refused');
    const body = encodeErrorMessage(
      newErrorMessage(code, prevType >= 0 && prevType <= 255 ? prevType : 0, message, {
        correlationId: BigInt(correlationId),
      }),
    );
    return { type: MessageType.Error, body };
  }
}

/**
 * Puts `endpoint` in front of the server's request listener (Express): FDO messages go to the
 * endpoint, every other request to the listener as before. Call before `listen`.
 */
export function installFdoEndpoint(
  server: {
    listeners(event: 'request'): unknown[];
    removeAllListeners(event: 'request'): unknown;
    on(event: 'request', listener: (req: IncomingMessage, res: ServerResponse) => void): unknown;
  },
  endpoint: FdoEndpoint,
): void {
  // The app's listener was added when the server was made; anything prepended since (limitConnections'
  // per-connection guard) runs first for every request, FDO messages included.
  const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  const appListener = listeners.at(-1);
  if (!appListener) throw new Error('expected the app to listen for requests');
  const before = listeners.slice(0, -1);
  server.removeAllListeners('request');
  server.on('request', (req, res) => {
    for (const listener of before) listener(req, res);
    if (!endpoint.handle(req, res)) appListener(req, res);
  });
}

function write(res: ServerResponse, reply: FdoReply): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/cbor');
  res.setHeader('Message-Type', String(reply.type));
  if (reply.token) res.setHeader('Authorization', `Bearer ${reply.token}`);
  res.setHeader('Content-Length', String(reply.body.length));
  res.end(reply.body);
}

function tooLarge(length: number, limit: number): FdoProtocolError {
  return FdoProtocolError.malformed(`message body of ${length} bytes exceeds ${limit}`);
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}

function describe(err: unknown): {
  code: ErrorCode;
  message: string;
  unexpected: boolean;
  expected: boolean;
} {
  if (err instanceof FdoProtocolError)
    return {
      code: err.code,
      message: err.message,
      unexpected: err.code === ErrorCode.InternalServerError && err.cause !== undefined,
      expected: err.expected,
    };
  if (err instanceof FdoMessageError)
    return { code: err.code, message: err.message, unexpected: false, expected: false };
  if (err instanceof CborError)
    return { code: ErrorCode.MessageBodyError, message: err.message, unexpected: false, expected: false };
  return {
    code: ErrorCode.InternalServerError,
    message: 'internal error',
    unexpected: true,
    expected: false,
  };
}
