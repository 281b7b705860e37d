import {
  decode as cborgDecode,
  decodeFirst,
  encode as cborgEncode,
  rfc8949EncodeOptions,
  Tagged,
} from 'cborg';
import { CborError, type CborErrorCode } from './errors';

export { Tagged };

/** A value already encoded as CBOR, emitted verbatim. Used where bytes must be kept exactly as received. */
export class RawCbor {
  constructor(readonly bytes: Uint8Array) {}
  /** Decodes the wrapped bytes (strictly). */
  decode(options?: DecodeOptions): CborValue {
    return decode(this.bytes, options);
  }
}

export type CborValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | Uint8Array
  | CborValue[]
  | Map<CborValue, CborValue>
  | Tagged
  | RawCbor
  | undefined;

/** CBOR tags this service understands. Anything else is refused when decoding. */
export const CBOR_TAGS = {
  coseEncrypt0: 16,
  coseMac0: 17,
  coseSign1: 18,
  cwt: 61,
} as const;

export interface DecodeOptions {
  /** Largest input accepted, in bytes. Default 1 MiB. */
  maxBytes?: number;
  /** Accept indefinite-length items (some implementations emit them). Default false. */
  allowIndefinite?: boolean;
  /** Extra tag numbers to preserve as Tagged values. */
  tags?: number[];
}

export const DEFAULT_MAX_BYTES = 1024 * 1024;

const preservedTags = Object.values(CBOR_TAGS);

function tagTable(extra: number[] = []): Record<number, (decode: () => unknown) => Tagged> {
  const table: Record<number, (decode: () => unknown) => Tagged> = {};
  for (const tag of [...preservedTags, ...extra]) table[tag] = (inner) => new Tagged(tag, inner());
  return table;
}

const defaultTags = tagTable();

function classify(message: string): CborErrorCode {
  if (/too many terminals|data remaining|trailing/i.test(message)) return 'trailing-bytes';
  if (/duplicate|repeat map key/i.test(message)) return 'duplicate-key';
  if (/indefinite/i.test(message)) return 'indefinite-length';
  if (/minimal|integer encoded in more bytes|strict/i.test(message)) return 'non-canonical';
  if (/tag not supported|tag/i.test(message)) return 'unknown-tag';
  if (/call stack/i.test(message)) return 'too-deep';
  return 'malformed';
}

function wrap(err: unknown): CborError {
  if (err instanceof CborError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = classify(message);
  return new CborError(code, `CBOR ${code}: ${message.replace(/^CBOR decode error: /, '')}`);
}

function checkSize(bytes: Uint8Array, options?: DecodeOptions): void {
  if (!(bytes instanceof Uint8Array)) throw new CborError('unexpected-type', 'CBOR input must be bytes');
  const max = options?.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.length > max)
    throw new CborError('too-large', `CBOR input of ${bytes.length} bytes exceeds ${max}`);
  if (bytes.length === 0) throw new CborError('malformed', 'CBOR input is empty');
}

function cborgOptions(options?: DecodeOptions) {
  return {
    useMaps: true,
    strict: true,
    rejectDuplicateMapKeys: true,
    allowIndefinite: options?.allowIndefinite ?? false,
    allowUndefined: false,
    allowBigInt: true,
    tags: options?.tags ? tagTable(options.tags) : defaultTags,
  } as const;
}

/**
 * Strict decode of exactly one CBOR item: no trailing bytes, no duplicate map keys, minimal
 * integer encodings, no indefinite lengths unless allowed, only known tags. Maps decode to Map.
 */
export function decode(bytes: Uint8Array, options?: DecodeOptions): CborValue {
  checkSize(bytes, options);
  try {
    return cborgDecode(bytes, cborgOptions(options) as never) as CborValue;
  } catch (err) {
    throw wrap(err);
  }
}

/** Decodes the first item and returns it with the number of bytes it occupied. */
export function decodePrefix(
  bytes: Uint8Array,
  options?: DecodeOptions,
): { value: CborValue; length: number } {
  checkSize(bytes, { ...options, maxBytes: Math.max(options?.maxBytes ?? DEFAULT_MAX_BYTES, bytes.length) });
  try {
    const [value, rest] = decodeFirst(bytes, cborgOptions(options) as never);
    return { value: value as CborValue, length: bytes.length - rest.length };
  } catch (err) {
    throw wrap(err);
  }
}

/** Encodes a CBOR head (major type + argument) in its shortest form. */
export function encodeHead(major: number, argument: number | bigint): Uint8Array {
  const n = BigInt(argument);
  const mt = major << 5;
  if (n < 24n) return Uint8Array.of(mt | Number(n));
  if (n < 0x100n) return Uint8Array.of(mt | 24, Number(n));
  if (n < 0x10000n) return Uint8Array.of(mt | 25, Number(n >> 8n), Number(n & 0xffn));
  if (n < 0x100000000n) {
    const out = new Uint8Array(5);
    out[0] = mt | 26;
    new DataView(out.buffer).setUint32(1, Number(n));
    return out;
  }
  const out = new Uint8Array(9);
  out[0] = mt | 27;
  new DataView(out.buffer).setBigUint64(1, n);
  return out;
}

function containsRaw(value: unknown): boolean {
  if (value instanceof RawCbor) return true;
  if (Array.isArray(value)) return value.some(containsRaw);
  if (value instanceof Map) {
    for (const [k, v] of value) if (containsRaw(k) || containsRaw(v)) return true;
    return false;
  }
  if (value instanceof Tagged) return containsRaw(value.value);
  return false;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * Deterministic encoding (RFC 8949 section 4.2.1: shortest heads, map keys in bytewise order).
 * RawCbor values anywhere inside are spliced in verbatim, so received bytes are never re-encoded.
 */
export function encode(value: CborValue): Uint8Array {
  if (value instanceof RawCbor) return value.bytes;
  if (!containsRaw(value)) return cborgEncode(value, rfc8949EncodeOptions);
  if (Array.isArray(value)) return concatBytes([encodeHead(4, value.length), ...value.map(encode)]);
  if (value instanceof Tagged)
    return concatBytes([encodeHead(6, value.tag), encode(value.value as CborValue)]);
  if (value instanceof Map) {
    const entries = [...value].map(([k, v]) => [encode(k), encode(v)] as const);
    entries.sort((a, b) => compareBytes(a[0], b[0]));
    return concatBytes([encodeHead(5, entries.length), ...entries.flat()]);
  }
  return cborgEncode(value, rfc8949EncodeOptions);
}

/** Reads a definite-length CBOR array and returns the exact bytes of each element. */
export function splitArray(bytes: Uint8Array, options?: DecodeOptions): Uint8Array[] {
  checkSize(bytes, options);
  const first = bytes[0]!;
  if (first >> 5 !== 4) throw new CborError('unexpected-type', 'expected a CBOR array');
  const info = first & 31;
  const headLength = info < 24 ? 1 : info === 24 ? 2 : info === 25 ? 3 : info === 26 ? 5 : 9;
  if (bytes.length < headLength) throw new CborError('malformed', 'truncated array head');
  let count: number;
  let offset: number;
  if (info < 24) [count, offset] = [info, 1];
  else if (info === 24) [count, offset] = [bytes[1]!, 2];
  else if (info === 25) [count, offset] = [(bytes[1]! << 8) | bytes[2]!, 3];
  else if (info === 26) [count, offset] = [new DataView(bytes.buffer, bytes.byteOffset).getUint32(1), 5];
  else
    throw new CborError(info === 31 ? 'indefinite-length' : 'malformed', 'unsupported array length encoding');
  if (count > bytes.length) throw new CborError('malformed', 'array claims more items than bytes');
  const items: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    if (offset >= bytes.length) throw new CborError('malformed', `array truncated at item ${i}`);
    const rest = bytes.subarray(offset);
    const { length } = decodePrefix(rest, options);
    items.push(rest.subarray(0, length));
    offset += length;
  }
  if (offset !== bytes.length) throw new CborError('trailing-bytes', 'bytes remain after the array');
  return items;
}
