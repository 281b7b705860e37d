import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { type WebhookTargetPolicy } from './webhook-target-policy';

/** The outbound HTTP port of webhook deliveries (tests may replace it). */
export const WEBHOOK_HTTP = Symbol('WEBHOOK_HTTP');

export interface WebhookRequest {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
}

export type WebhookHttp = (url: string, request: WebhookRequest) => Promise<{ status: number }>;

/** The name-resolution port of webhook deliveries: every address a host name has. */
export const WEBHOOK_RESOLVER = Symbol('WEBHOOK_RESOLVER');

export type WebhookResolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

/** The system resolver (getaddrinfo: /etc/hosts, then DNS), all addresses. */
export const systemWebhookResolver: WebhookResolver = (hostname) => lookup(hostname, { all: true });

/** A delivery the target policy refused: counts as a failed attempt, like any other. */
export class WebhookTargetRefused extends Error {
  override readonly name = 'WebhookTargetRefused';
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * POSTs a webhook to a vetted address. The host name is resolved once, through `resolver`; when any
 * of its addresses is refused by `policy` nothing is sent (a name with one public and one private
 * address could otherwise be steered to the private one). The connection goes to the first vetted
 * address itself, so no second lookup can answer differently (DNS rebinding); the Host header and
 * the TLS server name (SNI and certificate check) are the URL's host. Redirects are not followed:
 * a 3xx counts as a failed attempt.
 */
export function guardedWebhookHttp(policy: WebhookTargetPolicy, resolver: WebhookResolver): WebhookHttp {
  return async (url, request) => {
    const refusal = policy.urlRefusal(url);
    if (refusal) throw new WebhookTargetRefused(`refused: the webhook URL ${refusal}`);
    const target = new URL(url);
    const hostname = target.hostname.replace(/^\[(.*)\]$/, '$1');
    let address = hostname;
    if (isIP(hostname) === 0) {
      const addresses = await abortable(resolver(hostname), request.signal);
      if (addresses.length === 0) throw new WebhookTargetRefused(`refused: ${hostname} has no address`);
      for (const each of addresses) {
        const kind = policy.addressRefusal(each.address);
        if (kind) throw new WebhookTargetRefused(`refused: ${hostname} resolves to ${kind}`);
      }
      address = addresses[0]!.address;
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const body = Buffer.from(request.body);
    return new Promise<{ status: number }>((resolve, reject) => {
      const outgoing = send(
        {
          host: address,
          port: target.port === '' ? undefined : Number(target.port),
          path: `${target.pathname}${target.search}`,
          method: request.method,
          headers: { ...request.headers, Host: target.host, 'Content-Length': String(body.length) },
          ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
          signal: request.signal,
        },
        (response: IncomingMessage) => {
          // Only the status matters; the body is not read.
          response.destroy();
          resolve({ status: response.statusCode ?? 0 });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  };
}
