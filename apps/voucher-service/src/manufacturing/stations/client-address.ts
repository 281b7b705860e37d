import { type IncomingHttpHeaders } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** Plain text form of an address: IPv4-mapped IPv6 (`::ffff:10.0.0.1`) becomes IPv4. */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(trimmed);
  return mapped ? mapped[1]! : trimmed;
}

/** A set of networks (`10.0.0.0/8`, `::1/128` or bare addresses) that answers `contains(address)`. */
export class NetworkSet {
  private readonly list = new BlockList();
  readonly empty: boolean;

  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const [address = '', bits] = cidr.split('/');
      const host = normalizeAddress(address);
      const family = isIP(host) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.list.addAddress(host, family);
      else this.list.addSubnet(host, Number(bits), family);
    }
    this.empty = cidrs.length === 0;
  }

  contains(address: string): boolean {
    const host = normalizeAddress(address);
    const family = isIP(host);
    if (family === 0) return false;
    return this.list.check(host, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/**
 * The address of the client that made a request. The socket peer, unless it is one of the trusted
 * proxies: then X-Forwarded-For is read from the right, skipping trusted proxies, and the first
 * other address is the client (entries further left were written by the client itself and prove
 * nothing). Express's `trust proxy` is not relied on: the FDO endpoint is shared by every app,
 * while only DI decides anything by address.
 */
export function clientAddress(
  peerAddress: string,
  headers: IncomingHttpHeaders,
  trustedProxies: NetworkSet,
): string {
  const peer = normalizeAddress(peerAddress);
  if (trustedProxies.empty || !trustedProxies.contains(peer)) return peer;
  const forwarded = [headers['x-forwarded-for']]
    .flat()
    .filter((value): value is string => typeof value === 'string')
    .join(',')
    .split(',')
    .map(normalizeAddress)
    .filter((entry) => entry !== '');
  for (let i = forwarded.length - 1; i >= 0; i--) {
    const hop = forwarded[i]!;
    if (isIP(hop) === 0) return peer;
    if (!trustedProxies.contains(hop)) return hop;
  }
  return forwarded[0] ?? peer;
}

/** Whether the request came straight from a trusted proxy (whose headers may then be believed). */
export function fromTrustedProxy(peerAddress: string, trustedProxies: NetworkSet): boolean {
  return !trustedProxies.empty && trustedProxies.contains(peerAddress);
}
