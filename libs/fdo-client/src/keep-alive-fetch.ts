import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { type Fetch, type FdoHttpResponse } from './http-transport';

export interface KeepAliveFetchOptions {
  /** Connections kept per server. Default 64. */
  readonly maxSockets?: number;
}

export interface KeepAliveFetch {
  readonly fetch: Fetch;
  /** Closes the idle connections (call when done, or the process waits for them to time out). */
  close(): void;
}

/**
 * A Fetch on node:http(s) with persistent connections, for fleets of simulated devices and for
 * benchmarks: FDO messages are small and many, and the global fetch spends more CPU building
 * Request/Response streams than the exchange itself costs. It sends the body as one buffer, reads
 * the reply into one, and honours `init.signal` (the session's per-request timeout).
 */
export function createKeepAliveFetch(options: KeepAliveFetchOptions = {}): KeepAliveFetch {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64 };
  const http = new HttpAgent(agentOptions);
  const https = new HttpsAgent(agentOptions);
  const fetch: Fetch = (url, init) =>
    new Promise<FdoHttpResponse>((resolve, reject) => {
      const body = bodyBytes(init.body);
      const secure = url.startsWith('https:');
      const req = (secure ? httpsRequest : httpRequest)(
        url,
        {
          method: init.method ?? 'GET',
          agent: secure ? https : http,
          headers: { ...(init.headers as Record<string, string> | undefined), 'content-length': body.length },
          signal: init.signal ?? undefined,
        },
        (res) => collect(res).then(resolve, reject),
      );
      req.once('error', reject);
      req.end(body);
    });
  return {
    fetch,
    close() {
      http.destroy();
      https.destroy();
    },
  };
}

function bodyBytes(body: RequestInit['body']): Uint8Array {
  if (body === undefined || body === null) return new Uint8Array();
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return Buffer.from(body);
  throw new TypeError('createKeepAliveFetch sends Uint8Array or string bodies only');
}

function collect(res: IncomingMessage): Promise<FdoHttpResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.once('error', reject);
    res.once('end', () => {
      const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const status = res.statusCode ?? 0;
      resolve({
        status,
        ok: status >= 200 && status < 300,
        headers: {
          get(name: string): string | null {
            const value = res.headers[name.toLowerCase()];
            return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
          },
        },
        arrayBuffer: async () =>
          bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer,
      });
    });
  });
}
