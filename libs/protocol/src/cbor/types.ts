import { Tagged, type CborValue } from './codec';
import { CborError } from './errors';

/** Small typed readers for decoded CBOR. Each throws CborError('unexpected-type') naming the field. */

export function asArray(value: CborValue, what: string, length?: number | [number, number]): CborValue[] {
  if (!Array.isArray(value)) throw new CborError('unexpected-type', `${what}: expected an array`);
  if (typeof length === 'number' && value.length !== length)
    throw new CborError('unexpected-type', `${what}: expected ${length} items, got ${value.length}`);
  if (Array.isArray(length) && (value.length < length[0] || value.length > length[1]))
    throw new CborError(
      'unexpected-type',
      `${what}: expected ${length[0]}..${length[1]} items, got ${value.length}`,
    );
  return value;
}

export function asBytes(value: CborValue, what: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array))
    throw new CborError('unexpected-type', `${what}: expected a byte string`);
  if (length !== undefined && value.length !== length)
    throw new CborError('unexpected-type', `${what}: expected ${length} bytes, got ${value.length}`);
  return value;
}

export function asBytesOrNull(value: CborValue, what: string): Uint8Array | null {
  return value === null ? null : asBytes(value, what);
}

export function asText(value: CborValue, what: string): string {
  if (typeof value !== 'string') throw new CborError('unexpected-type', `${what}: expected a text string`);
  return value;
}

export function asInt(value: CborValue, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new CborError('unexpected-type', `${what}: expected an integer`);
  return value;
}

export function asUint(value: CborValue, what: string): number {
  const n = asInt(value, what);
  if (n < 0) throw new CborError('unexpected-type', `${what}: expected an unsigned integer`);
  return n;
}

export function asBool(value: CborValue, what: string): boolean {
  if (typeof value !== 'boolean') throw new CborError('unexpected-type', `${what}: expected a boolean`);
  return value;
}

export function asMap(value: CborValue, what: string): Map<CborValue, CborValue> {
  if (!(value instanceof Map)) throw new CborError('unexpected-type', `${what}: expected a map`);
  return value;
}

export function asTagged(value: CborValue, tag: number, what: string): CborValue {
  if (!(value instanceof Tagged) || value.tag !== tag)
    throw new CborError('unexpected-type', `${what}: expected CBOR tag ${tag}`);
  return value.value as CborValue;
}
