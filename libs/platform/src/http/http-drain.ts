import { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';

const OPEN_RESPONSES = Symbol('openResponses');

type DrainableServer = Server & { [OPEN_RESPONSES]?: Set<ServerResponse> };

/**
 * Remembers the responses `server` has not finished, so a drain can tell their clients the
 * connection closes after them. Call once, when the server is created.
 */
export function trackResponses(server: Server): void {
  const drainable = server as DrainableServer;
  if (drainable[OPEN_RESPONSES]) return;
  const open = new Set<ServerResponse>();
  drainable[OPEN_RESPONSES] = open;
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    open.add(res);
    res.once('close', () => open.delete(res));
  });
}

const COMPANIONS = new WeakMap<object, Set<Server>>();

/** `companion` (an app's extra listener, e.g. SZTP's HTTPS one) is drained with `main`. */
export function drainWith(main: object, companion: Server): void {
  const companions = COMPANIONS.get(main) ?? new Set<Server>();
  companions.add(companion);
  COMPANIONS.set(main, companions);
}

/** The listeners drained with `main`. */
export function companionsOf(main: object): Server[] {
  return [...(COMPANIONS.get(main) ?? [])];
}

export interface DrainOptions {
  /** Stop waiting for requests in flight after this long and cut their connections. */
  timeoutMs: number;
  /**
   * How long a kept-alive connection that is idle when the drain starts may still bring one more
   * request (answered, with `Connection: close`). Default 1000 ms.
   */
  idleGraceMs?: number;
}

/**
 * Stops `server` the graceful way: no new connections; requests in flight are answered, with
 * `Connection: close` so the client opens its next connection elsewhere (another replica behind
 * the balancer); a kept-alive connection idle at the start may bring one last request within
 * `idleGraceMs`, answered the same way, and is closed after it. Resolves when every connection
 * has ended, or at `timeoutMs`, when what is left is cut. Node's own `close()` drops idle
 * connections at once, which resets a device that sends its next message at that instant: FDO
 * runs a dozen requests per onboarding over one kept-alive connection, so one is nearly always
 * about to be sent. Resolves at once when the server does not listen.
 */
export async function drainHttpServer(server: Server, options: DrainOptions): Promise<void> {
  if (!server.listening) return;
  const open = (server as DrainableServer)[OPEN_RESPONSES];
  const closing = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  };
  for (const res of open ?? []) closing(res);
  const onRequest = (_req: IncomingMessage, res: ServerResponse) => closing(res);
  server.prependListener('request', onRequest);
  const timers: NodeJS.Timeout[] = [];
  try {
    await new Promise<void>((resolve) => {
      // net.Server's close: stop listening, call back once every connection has ended, without
      // http.Server's closeIdleConnections() first.
      NetServer.prototype.close.call(server, () => resolve());
      // After the grace, every connection is closed as soon as it is idle (one whose answer
      // was already on its way when the drain began is idle only after it).
      timers.push(
        setTimeout(() => {
          server.closeIdleConnections();
          timers.push(setInterval(() => server.closeIdleConnections(), 100));
        }, options.idleGraceMs ?? 1000),
      );
      timers.push(
        setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, options.timeoutMs),
      );
    });
  } finally {
    for (const timer of timers) clearInterval(timer);
    server.off('request', onRequest);
  }
}
