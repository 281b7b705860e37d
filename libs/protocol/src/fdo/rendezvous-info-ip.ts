import { isIPv4, isIPv6 } from 'node:net';
import { CborError } from '../cbor';

/**
 * IP addresses as FDO carries them (RVIPAddress, RVTO2Addr.IPAddress): a 4-byte IPv4 or 16-byte
 * IPv6 byte string. go-fdo sends IPv4 as a 16-byte IPv4-mapped IPv6 address (::ffff:a.b.c.d), which
 * is shown here in dotted form, as go-fdo's net.IP does.
 */

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** Text form of an address byte string; throws CborError for lengths other than 4 or 16. */
export function ipBytesToText(bytes: Uint8Array, what = 'IPAddress'): string {
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.length !== 16) throw new CborError('unexpected-type', `${what}: expected 4 or 16 bytes`);
  if (V4_MAPPED_PREFIX.every((b, i) => bytes[i] === b)) return bytes.subarray(12).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  return compressIpv6(groups);
}

/** RFC 5952 form: the longest run (two or more) of zero groups becomes "::". */
function compressIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/**
 * Bytes of a textual IPv4 or IPv6 address. IPv4 gives 4 bytes unless `ipv4Mapped` asks for the
 * 16-byte form go-fdo emits.
 */
export function ipTextToBytes(text: string, options: { ipv4Mapped?: boolean } = {}): Uint8Array {
  if (isIPv4(text)) {
    const v4 = Uint8Array.from(text.split('.').map(Number));
    return options.ipv4Mapped ? Uint8Array.from([...V4_MAPPED_PREFIX, ...v4]) : v4;
  }
  if (!isIPv6(text)) throw new CborError('unexpected-type', `IPAddress: "${text}" is not an IP address`);
  return ipv6TextToBytes(text);
}

function ipv6TextToBytes(text: string): Uint8Array {
  // A trailing dotted IPv4 part (::ffff:1.2.3.4) becomes two hex groups first.
  const lastColon = text.lastIndexOf(':');
  const v4 = text.slice(lastColon + 1);
  const hexText = isIPv4(v4) ? text.slice(0, lastColon + 1) + ipv4ToHexGroups(v4) : text;
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  // isIPv6 has already checked there is at most one "::" and at most eight groups.
  const [head = '', tail] = hexText.split('::');
  const left = groupsOf(head);
  const right = tail === undefined ? [] : groupsOf(tail);
  const zeros = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...new Array<number>(zeros).fill(0), ...right];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

function ipv4ToHexGroups(v4: string): string {
  const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
  return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}
