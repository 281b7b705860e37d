import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** One HTTP exchange with an SZTP server. */
export interface SztpHttpRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /**
   * PEM certificates the server's TLS certificate must chain to (and match the host). Absent: the
   * server is untrusted and its certificate is not checked (RFC 8572 section 5.1: the device may
   * still talk to it, but accepts only signed data).
   */
  readonly trustAnchors?: string;
}

export interface SztpHttpResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body as UTF-8 text (RESTCONF documents). */
  readonly body: string;
  /** The body as sent (boot images). */
  readonly bytes: Uint8Array;
}

export type SztpTransport = (request: SztpHttpRequest) => Promise<SztpHttpResponse>;

/** The exchange failed below SZTP: unreachable server, TLS refusal, timeout, oversized answer. */
export class SztpTransportError extends Error {
  override readonly name = 'SztpTransportError';
}

export interface NodeTransportOptions {
  /** The IDevID: PEM certificate (with chain) and PEM private key, presented as TLS client certificate. */
  readonly clientCertificate?: { readonly certificatePem: string; readonly keyPem: string };
  readonly timeoutMs?: number;
  /** Largest answer accepted. Default 16 MiB (boot-image URLs, not images, travel in the answer). */
  readonly maxBodyBytes?: number;
}

/**
 * HTTP(S) for a device: node:https with the IDevID as client certificate, server verification only
 * against the trust anchors the request carries, no connection reuse (a device talks to each server
 * a few times and moves on).
 */
export function nodeSztpTransport(options: NodeTransportOptions = {}): SztpTransport {
  const maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;
  return (request) =>
    new Promise((resolve, reject) => {
      let url: URL;
      try {
        url = new URL(request.url);
      } catch {
        reject(new SztpTransportError(`not a URL: ${request.url}`));
        return;
      }
      const secure = url.protocol === 'https:';
      const common = {
        method: request.method,
        headers: {
          ...request.headers,
          ...(request.body !== undefined
            ? { 'Content-Length': String(Buffer.byteLength(request.body)) }
            : {}),
        },
        timeout: options.timeoutMs ?? 30_000,
        agent: false as const,
      };
      const tls = secure
        ? {
            ...(options.clientCertificate
              ? { cert: options.clientCertificate.certificatePem, key: options.clientCertificate.keyPem }
              : {}),
            ...(request.trustAnchors !== undefined
              ? { ca: request.trustAnchors, rejectUnauthorized: true }
              : { rejectUnauthorized: false }),
          }
        : {};
      const onResponse = (response: import('node:http').IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBody) {
            response.destroy(new SztpTransportError(`answer from ${url.host} exceeds ${maxBody} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (err) =>
          reject(err instanceof SztpTransportError ? err : new SztpTransportError(err.message)),
        );
        response.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          const bytes = Buffer.concat(chunks);
          resolve({
            status: response.statusCode ?? 0,
            headers,
            body: bytes.toString('utf8'),
            bytes: new Uint8Array(bytes),
          });
        });
      };
      const req = secure
        ? httpsRequest(url, { ...common, ...tls }, onResponse)
        : httpRequest(url, common, onResponse);
      req.on('timeout', () =>
        req.destroy(new SztpTransportError(`${request.method} ${request.url} timed out`)),
      );
      req.on('error', (err) =>
        reject(
          err instanceof SztpTransportError
            ? err
            : new SztpTransportError(`${request.method} ${request.url}: ${err.message}`),
        ),
      );
      req.end(request.body);
    });
}
