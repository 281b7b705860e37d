import { type IncomingHttpHeaders } from 'node:http';

/** What a handler gets for one `POST /fdo/101/msg/{type}`. */
export interface FdoRequest {
  /** The message type from the URL. */
  readonly type: number;
  /** The body exactly as received. */
  readonly body: Uint8Array;
  /** The bearer token of the running protocol session, if the client sent one. */
  readonly token: string | undefined;
  /** Peer address as seen by this server (after trusted proxies, if configured). */
  readonly remoteAddress: string;
  readonly headers: IncomingHttpHeaders;
  readonly requestId: string | undefined;
}

/** The handler's answer: the reply message and, on the first message of a protocol, its token. */
export interface FdoReply {
  readonly type: number;
  readonly body: Uint8Array;
  readonly token?: string;
}

export type FdoMessageHandler = (request: FdoRequest) => Promise<FdoReply>;

/**
 * The messages one app serves, by request type: e.g. rendezvous registers 20, 22, 30, 32.
 * Provided under the FDO_MESSAGE_HANDLERS token by the app's FDO module.
 */
export type FdoMessageHandlers = ReadonlyMap<number, FdoMessageHandler> & {
  /** Told of every message a handler refused (see withFailureRecorder). */
  readonly failureRecorder?: FdoFailureRecorder;
};

/** The handlers, with the app's hook for refused messages (device events, webhooks). */
export function withFailureRecorder(
  handlers: ReadonlyMap<number, FdoMessageHandler>,
  failureRecorder: FdoFailureRecorder,
): FdoMessageHandlers {
  return Object.assign(new Map(handlers), { failureRecorder });
}

export const FDO_MESSAGE_HANDLERS = Symbol('FDO_MESSAGE_HANDLERS');

/** A message answered with Error (255): what was asked and what was answered. */
export interface FdoFailure {
  readonly request: FdoRequest;
  /** The ErrorMessage code sent. */
  readonly code: number;
  /** The ErrorMessage text sent. */
  readonly reason: string;
}

/**
 * The app's hook for refused FDO messages (device events, webhooks): called after the error reply
 * is made, never awaited by the device's answer; it must not throw.
 */
export type FdoFailureRecorder = (failure: FdoFailure) => void;
