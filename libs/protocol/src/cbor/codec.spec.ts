import { describe, expect, it } from 'vitest';
import { CborError, decode, encode, RawCbor, splitArray, Tagged } from './index';

const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

describe('cbor codec', () => {
  it('round-trips deterministic bytes, maps decode to Map', () => {
    const bytes = encode(
      new Map<number, unknown>([
        [10, 'b'],
        [1, -7],
      ]) as never,
    );
    expect(Buffer.from(bytes).toString('hex')).toBe('a201260a6162');
    const value = decode(bytes) as Map<number, unknown>;
    expect(value.get(1)).toBe(-7);
  });

  it.each([
    ['trailing bytes', '0101', 'trailing-bytes'],
    ['duplicate map key', 'a201010102', 'duplicate-key'],
    ['indefinite array', '9f01ff', 'indefinite-length'],
    ['non-minimal integer', '1801', 'non-canonical'],
    ['unknown tag', 'c101', 'unknown-tag'],
    ['truncated', '8201', 'malformed'],
  ])('rejects %s with a typed error', (_name, input, code) => {
    let caught: unknown;
    try {
      decode(hex(input));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CborError);
    expect((caught as CborError).code).toBe(code);
  });

  it('rejects oversized input', () => {
    expect(() => decode(new Uint8Array(10), { maxBytes: 5 })).toThrow(/exceeds/);
  });

  it('splices raw values verbatim and splits arrays into exact element bytes', () => {
    const raw = new RawCbor(hex('d28443a10126a0f640'));
    const bytes = encode([1, raw, new Tagged(18, [1])]);
    const parts = splitArray(bytes);
    expect(parts.map((p) => Buffer.from(p).toString('hex'))).toEqual(['01', 'd28443a10126a0f640', 'd28101']);
  });
});
