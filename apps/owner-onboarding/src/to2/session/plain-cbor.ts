import { CborError, decode, encode, type CborValue } from '@ztp/protocol';

/**
 * Plain data (objects with string keys, arrays, strings, numbers, booleans, null, byte arrays) to
 * and from CBOR, for state this service writes and reads back itself. Object keys become map keys;
 * undefined members are left out.
 */
export type PlainValue = string | number | boolean | null | Uint8Array | PlainValue[] | PlainObject;
export interface PlainObject {
  [key: string]: PlainValue | undefined;
}

function toCbor(value: PlainValue): CborValue {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(toCbor);
  const map = new Map<CborValue, CborValue>();
  for (const [key, member] of Object.entries(value)) if (member !== undefined) map.set(key, toCbor(member));
  return map;
}

function fromCbor(value: CborValue): PlainValue {
  if (value instanceof Map) {
    const object: PlainObject = {};
    for (const [key, member] of value) {
      if (typeof key !== 'string') throw new CborError('unexpected-type', 'state map keys must be text');
      object[key] = fromCbor(member);
    }
    return object;
  }
  if (Array.isArray(value)) return value.map(fromCbor);
  if (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    value instanceof Uint8Array
  )
    return value;
  throw new CborError('unexpected-type', 'state holds a value that is not plain data');
}

export function encodePlain(value: PlainValue): Uint8Array {
  return encode(toCbor(value));
}

export function decodePlain(bytes: Uint8Array): PlainValue {
  return fromCbor(decode(bytes, { maxBytes: 16 * 1024 * 1024 }));
}
