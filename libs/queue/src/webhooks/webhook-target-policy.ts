import { isIP } from 'node:net';

/**
 * Where webhooks may be sent. A tenant chooses the URL and the worker POSTs to it from inside the
 * deployment, so without a guard a tenant could make the worker reach what only it can reach:
 * loopback services, the private network, the cloud metadata endpoint (SSRF). Only public unicast
 * addresses are allowed unless the operator allows private targets (development) or lists the
 * networks of internal receivers (WEBHOOK_ALLOWED_CIDRS).
 */
export interface WebhookTargetRules {
  /** Any address is allowed (development; the embedded demo by default). */
  allowPrivate: boolean;
  /** Networks allowed even though they are not public, e.g. `10.20.0.0/16` or `fd00:1::7`. */
  allowedCidrs: readonly string[];
}

interface AddressRange {
  /** Network bytes (4 or 16). */
  network: Uint8Array;
  bits: number;
  name: string;
}

function range(cidr: string, name: string): AddressRange {
  const [address = '', bits = ''] = cidr.split('/');
  const network = addressBytes(address);
  if (!network) throw new Error(`not a CIDR: ${cidr}`);
  return { network, bits: bits === '' ? network.length * 8 : Number(bits), name };
}

// IANA's special-purpose registries (RFC 6890 and updates) plus what is otherwise unroutable.
const IPV4_RANGES: readonly AddressRange[] = [
  range('0.0.0.0/8', 'an unspecified ("this network") address'),
  range('10.0.0.0/8', 'a private address'),
  range('100.64.0.0/10', 'a shared (carrier-grade NAT) address'),
  range('127.0.0.0/8', 'a loopback address'),
  range('169.254.0.0/16', 'a link-local address (cloud metadata lives there)'),
  range('172.16.0.0/12', 'a private address'),
  range('192.0.0.0/24', 'an IETF protocol assignment'),
  range('192.0.2.0/24', 'a documentation address'),
  range('192.88.99.0/24', 'a reserved (6to4 relay) address'),
  range('192.168.0.0/16', 'a private address'),
  range('198.18.0.0/15', 'a benchmarking address'),
  range('198.51.100.0/24', 'a documentation address'),
  range('203.0.113.0/24', 'a documentation address'),
  range('224.0.0.0/4', 'a multicast address'),
  range('240.0.0.0/4', 'a reserved address'),
  // Azure's platform endpoint (WireServer): a public-looking address reachable only from inside Azure.
  range('168.63.129.16/32', 'a cloud platform endpoint'),
];

const IPV6_RANGES: readonly AddressRange[] = [
  range('::/128', 'an unspecified address'),
  range('::1/128', 'a loopback address'),
  range('64:ff9b:1::/48', 'a private (local-use NAT64) address'),
  range('fc00::/7', 'a unique local (private) address'),
  range('fe80::/10', 'a link-local address'),
  range('fec0::/10', 'a site-local (private) address'),
  range('ff00::/8', 'a multicast address'),
  range('2001::/23', 'an IETF protocol assignment (Teredo, benchmarking, ORCHID)'),
  range('2001:db8::/32', 'a documentation address'),
  range('3fff::/20', 'a documentation address'),
];

/** IPv6 forms that carry an IPv4 address: the IPv4 address decides. */
const IPV4_CARRIERS: readonly { range: AddressRange; offset: number }[] = [
  { range: range('::ffff:0:0/96', 'IPv4-mapped'), offset: 12 },
  { range: range('64:ff9b::/96', 'NAT64'), offset: 12 },
  { range: range('2002::/16', '6to4'), offset: 2 },
];

const GLOBAL_UNICAST_V6 = range('2000::/3', 'global unicast');

function inRange(bytes: Uint8Array, { network, bits }: AddressRange): boolean {
  if (bytes.length !== network.length) return false;
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (bytes[i] !== network[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((bytes[whole] ?? 0) & mask) === ((network[whole] ?? 0) & mask);
}

/** The 4 or 16 bytes of an IP address (IPv6 may be bracketed, carry a zone or end in dotted IPv4). */
export function addressBytes(text: string): Uint8Array | undefined {
  const address = text.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const family = isIP(address);
  if (family === 4) return Uint8Array.from(address.split('.').map(Number));
  if (family !== 6) return undefined;
  let tail: number[] = [];
  let head = address;
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted) {
    head = `${dotted[1]}0:0`;
    tail = dotted[2]!.split('.').map(Number);
  }
  const [left = '', right] = head.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const leftGroups = groups(left);
  const rightGroups = right === undefined ? [] : groups(right);
  const middle = new Array<number>(8 - leftGroups.length - rightGroups.length).fill(0);
  const bytes = new Uint8Array(16);
  [...leftGroups, ...middle, ...rightGroups].forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  if (tail.length === 4) bytes.set(tail, 12);
  return bytes;
}

/**
 * What makes an address unfit as a webhook target ("a loopback address", "a private address", ...),
 * or undefined for a public unicast address. IPv4 carried in IPv6 (IPv4-mapped, NAT64, 6to4) is
 * judged as the IPv4 address it carries; IPv6 outside 2000::/3 is not global unicast.
 */
export function nonPublicAddressKind(address: string): string | undefined {
  const bytes = addressBytes(address);
  if (!bytes) return 'not an IP address';
  return bytes.length === 4 ? ipv4Kind(bytes) : ipv6Kind(bytes);
}

function ipv4Kind(bytes: Uint8Array): string | undefined {
  return IPV4_RANGES.find((each) => inRange(bytes, each))?.name;
}

function ipv6Kind(bytes: Uint8Array): string | undefined {
  for (const carrier of IPV4_CARRIERS) {
    if (inRange(bytes, carrier.range)) {
      const kind = ipv4Kind(bytes.subarray(carrier.offset, carrier.offset + 4));
      return kind && `${kind} (${carrier.range.name})`;
    }
  }
  const special = IPV6_RANGES.find((each) => inRange(bytes, each));
  if (special) return special.name;
  return inRange(bytes, GLOBAL_UNICAST_V6) ? undefined : 'a reserved address (not global unicast)';
}

/** Host names that are loopback by definition (RFC 6761), whatever a resolver says. */
function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/** Decides which addresses and URLs webhooks may be sent to. */
export class WebhookTargetPolicy {
  private readonly allowed: readonly AddressRange[];

  constructor(readonly rules: WebhookTargetRules) {
    this.allowed = rules.allowedCidrs.map((cidr) => range(cidr, 'allowed'));
  }

  /** Why `address` may not be a target, or undefined when it may. */
  addressRefusal(address: string): string | undefined {
    const kind = nonPublicAddressKind(address);
    if (kind === undefined || this.rules.allowPrivate) return undefined;
    const bytes = addressBytes(address);
    if (bytes && this.allowed.some((each) => inRange(bytes, each) || inCarried(bytes, each)))
      return undefined;
    return kind;
  }

  /**
   * Why a webhook URL may not be registered (or used), or undefined when it may: it must be http(s)
   * without credentials, and an IP literal host must be an allowed address. Host names pass (what
   * they resolve to may change); deliveries check the addresses they resolve to.
   */
  urlRefusal(url: string): string | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'is not a URL';
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http or https URL';
    if (parsed.username !== '' || parsed.password !== '') return 'must not contain credentials';
    const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(host) !== 0) {
      const refusal = this.addressRefusal(host);
      return refusal && `must not point at ${refusal}`;
    }
    if (!this.rules.allowPrivate && isLocalhostName(host)) return `must not point at a loopback address`;
    return undefined;
  }
}

/** An IPv4 allow-list entry also admits the IPv4-mapped, NAT64 and 6to4 forms of its addresses. */
function inCarried(bytes: Uint8Array, allowed: AddressRange): boolean {
  if (bytes.length !== 16 || allowed.network.length !== 4) return false;
  const carrier = IPV4_CARRIERS.find((each) => inRange(bytes, each.range));
  return carrier !== undefined && inRange(bytes.subarray(carrier.offset, carrier.offset + 4), allowed);
}
