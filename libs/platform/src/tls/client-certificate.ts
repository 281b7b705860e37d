import { BlockList, isIP } from 'node:net';
import { type TLSSocket } from 'node:tls';

/** A client certificate as presented: the leaf and whatever intermediates came with it (DER). */
export interface PresentedClientCertificate {
  readonly leaf: Uint8Array;
  readonly chain: readonly Uint8Array[];
}

/** Where a forwarded client certificate may come from, and in which header. */
export interface ForwardedCertificateTrust {
  /** Proxies (CIDRs or addresses) whose header is believed; empty: the header is never read. */
  readonly trustedProxies: readonly string[];
  /** Lower-case header name, e.g. `x-client-cert`. */
  readonly header: string;
}

interface RequestLike {
  readonly socket: { readonly remoteAddress?: string; readonly encrypted?: boolean };
  readonly headers: Record<string, string | string[] | undefined>;
}

const MAX_CHAIN = 8;

/** What each TLS connection presented, read once per connection (a device keeps its connection). */
const presentedOnSocket = new WeakMap<TLSSocket, PresentedClientCertificate | null>();

/**
 * The certificate the TLS peer presented (with its chain as the client sent it), whether or not it
 * verified: a listener that asks for certificates without rejecting leaves trust to the app.
 */
export function tlsClientCertificate(socket: TLSSocket): PresentedClientCertificate | undefined {
  let presented = presentedOnSocket.get(socket);
  if (presented === undefined) {
    presented = readPeerCertificate(socket) ?? null;
    presentedOnSocket.set(socket, presented);
  }
  return presented ?? undefined;
}

function readPeerCertificate(socket: TLSSocket): PresentedClientCertificate | undefined {
  const peer = socket.getPeerCertificate(true);
  if (!peer || !peer.raw) return undefined;
  const chain: Uint8Array[] = [];
  let current = peer.issuerCertificate;
  const seen = new Set<string>([peer.fingerprint256]);
  while (current?.raw && !seen.has(current.fingerprint256) && chain.length < MAX_CHAIN) {
    seen.add(current.fingerprint256);
    chain.push(new Uint8Array(current.raw));
    current = current.issuerCertificate;
  }
  return { leaf: new Uint8Array(peer.raw), chain };
}

/**
 * A certificate forwarded by a TLS-terminating proxy: URL-encoded PEM (nginx
 * `$ssl_client_escaped_cert`, possibly with the chain), plain PEM with its line breaks turned into
 * spaces (Apache, HAProxy), or base64 DER. Undefined when the value is none of these.
 */
export function parseForwardedCertificate(value: string): PresentedClientCertificate | undefined {
  let text = value.trim();
  if (text.includes('%')) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return undefined;
    }
  }
  const blocks = [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map(
    (match) => match[1]!.replace(/\s+/g, ''),
  );
  const bodies = blocks.length > 0 ? blocks : [text.replace(/\s+/g, '')];
  const ders: Uint8Array[] = [];
  for (const body of bodies.slice(0, MAX_CHAIN + 1)) {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return undefined;
    const der = Buffer.from(body, 'base64');
    // A DER certificate is a SEQUENCE; anything else is not what the proxy was meant to send.
    if (der.length < 2 || der[0] !== 0x30) return undefined;
    ders.push(new Uint8Array(der));
  }
  const [leaf, ...chain] = ders;
  return leaf === undefined ? undefined : { leaf, chain };
}

function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/** Whether `address` (the TCP peer) is one of the trusted proxies. */
export function isTrustedProxy(address: string | undefined, trustedProxies: readonly string[]): boolean {
  if (address === undefined || trustedProxies.length === 0) return false;
  const peer = normalizeAddress(address);
  const family = isIP(peer);
  if (family === 0) return false;
  const list = new BlockList();
  for (const entry of trustedProxies) {
    const [network = '', bits] = entry.split('/');
    const networkFamily = isIP(network);
    if (networkFamily === 0) continue;
    const type = networkFamily === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(network, type);
    else list.addSubnet(network, Number(bits), type);
  }
  return list.check(peer, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The client certificate of a request. On a TLS connection: the one presented in the handshake,
 * and never a header (a client could set it). On plain HTTP: the forwarded header, only when the
 * TCP peer is a trusted proxy, which must overwrite the header on every request it forwards.
 */
export function clientCertificateOf(
  req: RequestLike,
  trust: ForwardedCertificateTrust,
): PresentedClientCertificate | undefined {
  if (req.socket.encrypted) return tlsClientCertificate(req.socket as TLSSocket);
  if (!isTrustedProxy(req.socket.remoteAddress, trust.trustedProxies)) return undefined;
  const raw = req.headers[trust.header];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value === undefined || value === '' ? undefined : parseForwardedCertificate(value);
}
