import { randomBytes } from 'node:crypto';
import { asBytes, type CborValue } from '../cbor';

/** An FDO GUID: 16 opaque bytes (FDO 1.1 3.3.3), chosen at random by the manufacturer or owner. */
export type Guid = Uint8Array;

export const GUID_LENGTH = 16;

/** Source of random bytes; injected so tests and simulators can be deterministic. */
export type RandomSource = (length: number) => Uint8Array;

export const cryptoRandom: RandomSource = (length) => new Uint8Array(randomBytes(length));

export class GuidError extends Error {
  override readonly name = 'GuidError';
  readonly code = 'invalid-guid';
}

export function newGuid(random: RandomSource = cryptoRandom): Guid {
  const guid = random(GUID_LENGTH);
  if (!(guid instanceof Uint8Array) || guid.length !== GUID_LENGTH)
    throw new GuidError(`random source returned ${guid?.length ?? 'no'} bytes, expected ${GUID_LENGTH}`);
  return Uint8Array.from(guid);
}

export function isGuid(value: unknown): value is Guid {
  return value instanceof Uint8Array && value.length === GUID_LENGTH;
}

/** Reads a GUID from decoded CBOR (a 16-byte bstr); CborError otherwise. */
export function guidFromCbor(value: CborValue, what = 'GUID'): Guid {
  return asBytes(value, what, GUID_LENGTH);
}

/** 32 lowercase hex digits, no separators. */
export function guidToHex(guid: Guid): string {
  if (!isGuid(guid)) throw new GuidError('a GUID is 16 bytes');
  return Buffer.from(guid).toString('hex');
}

/** RFC 4122 textual layout (8-4-4-4-12), lowercase. The bytes are not interpreted as a UUID version. */
export function guidToUuid(guid: Guid): string {
  const hex = guidToHex(guid);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Parses 32 hex digits, with or without the UUID dashes (case-insensitive). */
export function parseGuid(text: string): Guid {
  const trimmed = text.trim();
  const hex = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(trimmed)
    ? trimmed.replace(/-/g, '')
    : trimmed;
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new GuidError(`not a GUID: ${JSON.stringify(text)}`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function guidsEqual(a: Guid, b: Guid): boolean {
  return isGuid(a) && isGuid(b) && Buffer.compare(a, b) === 0;
}
