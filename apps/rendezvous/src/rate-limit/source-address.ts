import { BlockList, isIP } from 'node:net';
import { type IncomingHttpHeaders } from 'node:http';

/**
 * The client address a request stands for. Behind trusted reverse proxies (RENDEZVOUS_TRUSTED_PROXIES)
 * that is the right-most X-Forwarded-For entry that is not itself a trusted proxy; anyone else's
 * X-Forwarded-For is ignored, since a client can write anything there.
 */
export class SourceAddressResolver {
  private readonly proxies = new BlockList();
  private readonly anyProxy: boolean;

  constructor(trustedProxies: readonly string[]) {
    for (const entry of trustedProxies) {
      const [address = '', bits] = entry.split('/');
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.proxies.addAddress(address, family);
      else this.proxies.addSubnet(address, Number(bits), family);
    }
    this.anyProxy = trustedProxies.length > 0;
  }

  resolve(remoteAddress: string, headers: IncomingHttpHeaders): string {
    let address = normalize(remoteAddress);
    if (!this.anyProxy || !this.isProxy(address)) return address;
    const forwarded = headers['x-forwarded-for'];
    const hops = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? ''))
      .split(',')
      .map((hop) => normalize(hop.trim()))
      .filter((hop) => isIP(hop) !== 0);
    for (let i = hops.length - 1; i >= 0; i--) {
      address = hops[i]!;
      if (!this.isProxy(address)) break;
    }
    return address;
  }

  private isProxy(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.proxies.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/** IPv4 clients of a dual-stack socket appear as ::ffff:a.b.c.d; one client, one form. */
function normalize(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
