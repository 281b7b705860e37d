import { asArray, asBool, asBytes, asInt, asText, CborError, decode, encode, type CborValue } from '../cbor';
import { RvVariable } from './constants';
import { readUintMax } from './messages/fields';
import { ipBytesToText, ipTextToBytes } from './rendezvous-info-ip';
import {
  rvProtocolFromNumber,
  rvProtocolToNumber,
  type RendezvousInfo,
  type RvDirective,
  type RvInstruction,
  type RvProtocolName,
} from './rendezvous-info';
import { hostForUrl } from './rvto2addr';

/** One directive with its instruction values decoded and typed (FDO 1.1 table 3-8). */
export interface RvDirectiveView {
  devOnly: boolean;
  ownerOnly: boolean;
  /** RV bypass: the addresses are the owner's, the device skips TO1. */
  bypass: boolean;
  userInput: boolean;
  /** 4- or 16-byte addresses in instruction order. */
  ipAddresses: Uint8Array[];
  dns: string[];
  devPort?: number;
  ownerPort?: number;
  protocol?: RvProtocolName;
  delaySec?: number;
  /** RVMedium: eth0-9 = 0-9, wifi0-9 = 10-19, all eth = 20, all wifi = 21. */
  medium?: number;
  wifiSsid?: string;
  wifiPw?: string;
  /** Hash `[alg, bytes]` pinning the RV server's TLS certificate. */
  svCertHash?: CborValue;
  /** Hash `[alg, bytes]` pinning the CA of the RV server's TLS certificate. */
  clCertHash?: CborValue;
  /** RVExtRV `[mechanism, args...]`. */
  extRv?: CborValue[];
  /** Instructions with variables this code does not know, kept as received. */
  unknown: RvInstruction[];
}

function valueOf(instruction: RvInstruction, what: string): CborValue {
  if (instruction.value === undefined) throw new CborError('unexpected-type', `${what}: value missing`);
  try {
    return decode(instruction.value);
  } catch (err) {
    if (err instanceof CborError) throw new CborError(err.code, `${what}: ${err.message}`);
    throw err;
  }
}

/** Flags are present-means-true: `[var]`, or a value of null (fdo-rs) or a boolean. */
function flagOf(instruction: RvInstruction, what: string): boolean {
  if (instruction.value === undefined) return true;
  const value = valueOf(instruction, what);
  return value === null ? true : asBool(value, what);
}

/** Decodes every instruction of a directive; a value of the wrong type throws CborError naming it. */
export function parseRvDirective(directive: RvDirective, what = 'RvDirective'): RvDirectiveView {
  const view: RvDirectiveView = {
    devOnly: false,
    ownerOnly: false,
    bypass: false,
    userInput: false,
    ipAddresses: [],
    dns: [],
    unknown: [],
  };
  directive.forEach((instruction, i) => {
    const at = `${what}[${i}]`;
    switch (instruction.variable) {
      case RvVariable.DevOnly:
        view.devOnly = flagOf(instruction, `${at} DevOnly`);
        break;
      case RvVariable.OwnerOnly:
        view.ownerOnly = flagOf(instruction, `${at} OwnerOnly`);
        break;
      case RvVariable.Bypass:
        view.bypass = flagOf(instruction, `${at} Bypass`);
        break;
      case RvVariable.UserInput:
        view.userInput = flagOf(instruction, `${at} UserInput`);
        break;
      case RvVariable.IPAddress: {
        const ip = asBytes(valueOf(instruction, `${at} IPAddress`), `${at} IPAddress`);
        ipBytesToText(ip, `${at} IPAddress`);
        view.ipAddresses.push(ip);
        break;
      }
      case RvVariable.Dns:
        view.dns.push(asText(valueOf(instruction, `${at} Dns`), `${at} Dns`));
        break;
      case RvVariable.DevPort:
        view.devPort = readUintMax(valueOf(instruction, `${at} DevPort`), 0xffff, `${at} DevPort`);
        break;
      case RvVariable.OwnerPort:
        view.ownerPort = readUintMax(valueOf(instruction, `${at} OwnerPort`), 0xffff, `${at} OwnerPort`);
        break;
      case RvVariable.Protocol: {
        const n = readUintMax(valueOf(instruction, `${at} Protocol`), 0xff, `${at} Protocol`);
        view.protocol = rvProtocolFromNumber(n, `${at} Protocol`);
        break;
      }
      case RvVariable.DelaySec:
        view.delaySec = readUintMax(valueOf(instruction, `${at} DelaySec`), 0xffffffff, `${at} DelaySec`);
        break;
      case RvVariable.Medium:
        view.medium = readUintMax(valueOf(instruction, `${at} Medium`), 21, `${at} Medium`);
        break;
      case RvVariable.WifiSsid:
        view.wifiSsid = asText(valueOf(instruction, `${at} WifiSsid`), `${at} WifiSsid`);
        break;
      case RvVariable.WifiPw:
        view.wifiPw = asText(valueOf(instruction, `${at} WifiPw`), `${at} WifiPw`);
        break;
      case RvVariable.SvCertHash:
        view.svCertHash = hashOf(valueOf(instruction, `${at} SvCertHash`), `${at} SvCertHash`);
        break;
      case RvVariable.ClCertHash:
        view.clCertHash = hashOf(valueOf(instruction, `${at} ClCertHash`), `${at} ClCertHash`);
        break;
      case RvVariable.ExtRV: {
        const ext = asArray(valueOf(instruction, `${at} ExtRV`), `${at} ExtRV`);
        if (ext.length === 0) throw new CborError('unexpected-type', `${at} ExtRV: mechanism missing`);
        asText(ext[0], `${at} ExtRV.mechanism`);
        view.extRv = ext;
        break;
      }
      default:
        view.unknown.push(instruction);
    }
  });
  return view;
}

function hashOf(value: CborValue, what: string): CborValue {
  const [alg, digest] = asArray(value, what, 2);
  asInt(alg, `${what}.alg`);
  asBytes(digest, `${what}.value`);
  return value;
}

/** Thrown by the builders for a friendly spec that cannot become a directive. */
export class RendezvousSpecError extends Error {
  override readonly name = 'RendezvousSpecError';
}

/** The friendly form an admin configures: one rendezvous server address. */
export interface RvDirectiveSpec {
  dns?: string;
  ip?: string;
  port: number;
  protocol: 'http' | 'https';
  delaySec?: number;
  bypass?: boolean;
  devOnly?: boolean;
  ownerOnly?: boolean;
  /** Send IPv4 as 16-byte IPv4-mapped IPv6, as go-fdo does; default is the 4-byte form. */
  ipv4Mapped?: boolean;
}

function instruction(variable: RvVariable, value?: CborValue): RvInstruction {
  return value === undefined ? { variable } : { variable, value: encode(value) };
}

/**
 * Builds a directive. RVProtocol is always written (a device that finds none assumes TLS), and the
 * port is written as both DevPort and OwnerPort unless the directive is for one side only, because
 * go-fdo and fdo-rs owners fall back to the protocol's default port when OwnerPort is missing.
 */
export function buildRvDirective(spec: RvDirectiveSpec): RvDirective {
  if (spec.dns === undefined && spec.ip === undefined)
    throw new RendezvousSpecError('a rendezvous directive needs dns or ip');
  if (spec.devOnly && spec.ownerOnly)
    throw new RendezvousSpecError('devOnly and ownerOnly exclude each other');
  if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 0xffff)
    throw new RendezvousSpecError(`port ${spec.port} is not a TCP port`);
  if (spec.delaySec !== undefined && (!Number.isInteger(spec.delaySec) || spec.delaySec < 0))
    throw new RendezvousSpecError(`delaySec ${spec.delaySec} is not a whole number of seconds`);
  if (spec.protocol !== 'http' && spec.protocol !== 'https')
    throw new RendezvousSpecError(`protocol must be http or https`);
  let ip: Uint8Array | undefined;
  if (spec.ip !== undefined) {
    try {
      ip = ipTextToBytes(spec.ip, { ipv4Mapped: spec.ipv4Mapped });
    } catch {
      throw new RendezvousSpecError(`"${spec.ip}" is not an IP address`);
    }
  }
  const directive: RvDirective = [];
  if (spec.devOnly) directive.push(instruction(RvVariable.DevOnly));
  if (spec.ownerOnly) directive.push(instruction(RvVariable.OwnerOnly));
  if (spec.dns !== undefined) directive.push(instruction(RvVariable.Dns, spec.dns));
  if (ip !== undefined) directive.push(instruction(RvVariable.IPAddress, ip));
  directive.push(instruction(RvVariable.Protocol, rvProtocolToNumber(spec.protocol)));
  if (!spec.ownerOnly) directive.push(instruction(RvVariable.DevPort, spec.port));
  if (!spec.devOnly) directive.push(instruction(RvVariable.OwnerPort, spec.port));
  if (spec.delaySec !== undefined) directive.push(instruction(RvVariable.DelaySec, spec.delaySec));
  if (spec.bypass) directive.push(instruction(RvVariable.Bypass));
  return directive;
}

export function buildRendezvousInfo(specs: RvDirectiveSpec[]): RendezvousInfo {
  return specs.map(buildRvDirective);
}

/** URL schemes per RVProtocol, and the default port where the protocol has one (as go-fdo). */
const SCHEMES: Record<RvProtocolName, { scheme: string; port?: number }> = {
  rest: { scheme: 'tls' },
  http: { scheme: 'http', port: 80 },
  https: { scheme: 'https', port: 443 },
  tcp: { scheme: 'tcp' },
  tls: { scheme: 'tls' },
  'coap+tcp': { scheme: 'coap+tcp', port: 5683 },
  coap: { scheme: 'coap', port: 5683 },
};

/** What one side should do with one directive. */
export interface RvTarget {
  /** Position of the directive in RendezvousInfo. */
  directive: number;
  /** The protocol in effect: as given, or tls when the directive has none (go-fdo's device default). */
  protocol: RvProtocolName;
  /** `scheme://host[:port]` for every DNS name then every IP address. http(s) URLs always have a port. */
  urls: string[];
  /** Device side only: the URLs are the owner's (TO2 directly), not a rendezvous server's. */
  bypass: boolean;
  /** Seconds to wait after trying this directive (0 when not given). */
  delaySec: number;
}

/**
 * Resolves RendezvousInfo for one side, the way go-fdo's ParseDeviceRvInfo/ParseOwnerRvInfo do:
 * the device skips OwnerOnly directives and uses DevPort; the owner (registering in TO0) skips
 * DevOnly and bypass directives and uses OwnerPort; a missing port means the protocol's default.
 */
export function resolveRendezvousInfo(info: RendezvousInfo, side: 'device' | 'owner'): RvTarget[] {
  const targets: RvTarget[] = [];
  info.forEach((directive, index) => {
    const view = parseRvDirective(directive, `RendezvousInfo[${index}]`);
    if (side === 'device' ? view.ownerOnly : view.devOnly || view.bypass) return;
    const protocol = view.protocol === undefined || view.protocol === 'rest' ? 'tls' : view.protocol;
    const { scheme, port: defaultPort } = SCHEMES[protocol];
    const port = (side === 'device' ? view.devPort : view.ownerPort) ?? defaultPort;
    const hosts = [...view.dns, ...view.ipAddresses.map((ip) => hostForUrl(ipBytesToText(ip)))];
    targets.push({
      directive: index,
      protocol,
      urls: hosts.map((host) => (port === undefined ? `${scheme}://${host}` : `${scheme}://${host}:${port}`)),
      bypass: side === 'device' && view.bypass,
      delaySec: view.delaySec ?? 0,
    });
  });
  return targets;
}
