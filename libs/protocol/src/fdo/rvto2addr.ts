import { asArray, asBytes, asText, CborError, decode, encode, type CborValue } from '../cbor';
import { TransportProtocol } from './constants';
import { readUintMax } from './messages/fields';
import { ipBytesToText, ipTextToBytes } from './rendezvous-info-ip';
import { type RvProtocolName } from './rendezvous-info';

/**
 * TransportProtocol values by name (RVTO2Addr; go-fdo protocol/transport.go). A different numbering
 * from RVProtocol (RendezvousInfo): typed structures carry names and only these codecs turn them
 * into numbers, so the two enums cannot be confused (go-fdo-server PR #193 fixed exactly that bug).
 */
export type TransportProtocolName = 'tcp' | 'tls' | 'http' | 'coap' | 'https' | 'coaps';

const TRANSPORT_NUMBERS: Record<TransportProtocolName, TransportProtocol> = {
  tcp: TransportProtocol.Tcp,
  tls: TransportProtocol.Tls,
  http: TransportProtocol.Http,
  coap: TransportProtocol.CoAP,
  https: TransportProtocol.Https,
  coaps: TransportProtocol.CoAPS,
};

export function transportProtocolToNumber(name: TransportProtocolName): TransportProtocol {
  return TRANSPORT_NUMBERS[name];
}

export function transportProtocolFromNumber(
  value: number,
  what = 'TransportProtocol',
): TransportProtocolName {
  for (const [name, n] of Object.entries(TRANSPORT_NUMBERS))
    if (n === value) return name as TransportProtocolName;
  throw new CborError('unexpected-type', `${what}: unknown TransportProtocol ${value}`);
}

/**
 * The transport an owner reachable through an RV directive's protocol would use, or null where
 * TransportProtocol has no equivalent (RVProtocol rest and coap+tcp).
 */
export function rvProtocolToTransport(protocol: RvProtocolName): TransportProtocolName | null {
  switch (protocol) {
    case 'http':
    case 'https':
    case 'tcp':
    case 'tls':
    case 'coap':
      return protocol;
    default:
      return null;
  }
}

/** RVTO2Addr `[IPAddress / null, DNSAddress / null, Port, TransportProtocol]`: where TO2 happens. */
export interface RvTo2Addr {
  /** 4 or 16 bytes; at least one of ip and dns is set. */
  ip: Uint8Array | null;
  dns: string | null;
  port: number;
  protocol: TransportProtocolName;
}

export function rvTo2AddrFromCbor(value: CborValue, what = 'RVTO2Addr'): RvTo2Addr {
  const [ip, dns, port, protocol] = asArray(value, what, 4);
  const addr: RvTo2Addr = {
    ip: ip === null ? null : asBytes(ip, `${what}.ip`),
    dns: dns === null ? null : asText(dns, `${what}.dns`),
    port: readUintMax(port, 0xffff, `${what}.port`),
    protocol: transportProtocolFromNumber(
      readUintMax(protocol, 0xff, `${what}.protocol`),
      `${what}.protocol`,
    ),
  };
  checkRvTo2Addr(addr, what);
  return addr;
}

function checkRvTo2Addr(addr: RvTo2Addr, what: string): void {
  if (addr.ip === null && addr.dns === null)
    throw new CborError('unexpected-type', `${what}: needs an IP address or a DNS name`);
  if (addr.ip !== null) ipBytesToText(addr.ip, `${what}.ip`);
}

export function rvTo2AddrToCbor(addr: RvTo2Addr): CborValue {
  checkRvTo2Addr(addr, 'RVTO2Addr');
  return [
    addr.ip,
    addr.dns,
    readUintMax(addr.port, 0xffff, 'RVTO2Addr.port'),
    transportProtocolToNumber(addr.protocol),
  ];
}

export function rvTo2AddrsFromCbor(value: CborValue, what = 'RVTO2Addr[]'): RvTo2Addr[] {
  return asArray(value, what).map((entry, i) => rvTo2AddrFromCbor(entry, `${what}[${i}]`));
}

export function rvTo2AddrsToCbor(addrs: RvTo2Addr[]): CborValue {
  return addrs.map(rvTo2AddrToCbor);
}

export function decodeRvTo2Addrs(bytes: Uint8Array): RvTo2Addr[] {
  return rvTo2AddrsFromCbor(decode(bytes));
}

export function encodeRvTo2Addrs(addrs: RvTo2Addr[]): Uint8Array {
  return encode(rvTo2AddrsToCbor(addrs));
}

/** Friendly input for an owner's TO2 address (the form an admin API would accept). */
export interface RvTo2AddrSpec {
  dns?: string;
  ip?: string;
  port: number;
  protocol: TransportProtocolName;
}

export function buildRvTo2Addr(spec: RvTo2AddrSpec): RvTo2Addr {
  const addr: RvTo2Addr = {
    ip: spec.ip === undefined ? null : ipTextToBytes(spec.ip),
    dns: spec.dns ?? null,
    port: spec.port,
    protocol: spec.protocol,
  };
  rvTo2AddrToCbor(addr);
  return addr;
}

/**
 * The URL a device would contact, go-fdo style: DNS name preferred over the IP, the port always
 * written out. Only meaningful for http and https.
 */
export function rvTo2AddrUrl(addr: RvTo2Addr): string {
  const host = addr.dns ?? hostForUrl(ipBytesToText(addr.ip!));
  return `${addr.protocol}://${host}:${addr.port}`;
}

/** IPv6 literals go in brackets inside URLs. */
export function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
