import { PkiError } from '../errors';

/**
 * The few DER pieces the hot paths (OCSP, EST certs-only) need, by hand: pkijs/asn1js take 3-5 ms to parse one
 * request or build one response (schema objects per node), about fifty times the ECDSA signature,
 * which would cap a responder at a few hundred answers per second and core. Strict DER only
 * (definite lengths, no trailing bytes); anything else is `malformed-ocsp-request`.
 */

/** One TLV: its tag byte, and where its contents start and end in the input. */
export interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
  /** The whole TLV's first byte, for echoing it. */
  readonly offset: number;
}

const malformed = (why: string) => new PkiError('malformed-ocsp-request', `not an OCSP request: ${why}`);

/** Reads the TLV at `offset`, which must end by `limit`. */
export function readTlv(der: Uint8Array, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw malformed('truncated');
  const tag = der[offset]!;
  // Multi-byte tags never occur in OCSP.
  if ((tag & 0x1f) === 0x1f) throw malformed('high tag number');
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 3) throw malformed('length form');
    if (start + octets > limit) throw malformed('truncated length');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[start + i]!;
    // DER: the shortest length form.
    if (length < 0x80 || der[start] === 0) throw malformed('length not minimal');
    start += octets;
  }
  const end = start + length;
  if (end > limit) throw malformed('truncated value');
  return { tag, start, end, offset };
}

/** Reads a TLV that must carry `tag`. */
export function expectTlv(der: Uint8Array, offset: number, limit: number, tag: number, what: string): Tlv {
  const tlv = readTlv(der, offset, limit);
  if (tlv.tag !== tag) throw malformed(`${what}: tag 0x${tlv.tag.toString(16)}`);
  return tlv;
}

/** Dotted form of an OBJECT IDENTIFIER's contents. */
export function decodeOid(bytes: Uint8Array): string {
  if (bytes.byteLength === 0) throw malformed('empty OID');
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.byteLength; i++) {
    const byte = bytes[i]!;
    if (value === 0 && byte === 0x80) throw malformed('OID arc not minimal');
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw malformed('OID arc too large');
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0)
        arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    } else if (i === bytes.byteLength - 1) throw malformed('OID truncated');
  }
  return arcs.join('.');
}

/** DER of an OBJECT IDENTIFIER (with tag and length). */
export function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const body: number[] = [];
  const push = (arc: number) => {
    const bytes = [arc & 0x7f];
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128))
      bytes.unshift((rest & 0x7f) | 0x80);
    body.push(...bytes);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const arc of arcs.slice(2)) push(arc);
  return tlv(0x06, Uint8Array.from(body));
}

/** A DER TLV around `parts`. */
export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const header =
    length < 0x80
      ? [tag, length]
      : length < 0x100
        ? [tag, 0x81, length]
        : length < 0x10000
          ? [tag, 0x82, length >> 8, length & 0xff]
          : [tag, 0x83, length >> 16, (length >> 8) & 0xff, length & 0xff];
  const out = new Uint8Array(header.length + length);
  out.set(header, 0);
  let at = header.length;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** GeneralizedTime (YYYYMMDDHHMMSSZ, whole seconds, as RFC 5280 4.1.2.5.2 requires). */
export function generalizedTime(date: Date): Uint8Array {
  const text = date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:T]/g, '');
  return tlv(0x18, new TextEncoder().encode(text));
}

/** A DER INTEGER of unsigned big-endian `bytes` (leading zeros trimmed, 0x00 added before a high bit). */
export function unsignedInteger(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.byteLength - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return trimmed[0]! & 0x80 ? tlv(0x02, Uint8Array.of(0), trimmed) : tlv(0x02, trimmed);
}
