import { describe, expect, it } from 'vitest';
import { CborError } from '../cbor';
import {
  GuidError,
  guidFromCbor,
  guidsEqual,
  guidToHex,
  guidToUuid,
  isGuid,
  newGuid,
  parseGuid,
} from './guid';

const fixed = Uint8Array.from(Buffer.from('66b2146ffec53ca6ad017625990572ce', 'hex'));

describe('GUID', () => {
  it('draws 16 bytes from the injected random source', () => {
    const guid = newGuid((n) => new Uint8Array(n).fill(7));
    expect(guid).toEqual(new Uint8Array(16).fill(7));
    expect(newGuid()).toHaveLength(16);
    expect(guidsEqual(newGuid(), newGuid())).toBe(false);
    expect(() => newGuid(() => new Uint8Array(8))).toThrow(GuidError);
  });

  it('formats as hex and as a UUID and parses both back', () => {
    expect(guidToHex(fixed)).toBe('66b2146ffec53ca6ad017625990572ce');
    expect(guidToUuid(fixed)).toBe('66b2146f-fec5-3ca6-ad01-7625990572ce');
    expect(parseGuid('66B2146F-FEC5-3CA6-AD01-7625990572CE')).toEqual(fixed);
    expect(parseGuid(' 66b2146ffec53ca6ad017625990572ce\n')).toEqual(fixed);
  });

  it.each(['', '66b2146f', '66b2146ffec53ca6ad017625990572cz', '66b2146f-fec53ca6-ad01-7625990572ce'])(
    'refuses %j',
    (text) => {
      expect(() => parseGuid(text)).toThrow(GuidError);
    },
  );

  it('reads a GUID from CBOR only as 16 bytes', () => {
    expect(guidFromCbor(fixed)).toBe(fixed);
    expect(() => guidFromCbor(new Uint8Array(15))).toThrow(CborError);
    expect(() => guidFromCbor('66b2146ffec53ca6ad017625990572ce')).toThrow(CborError);
    expect(isGuid(fixed)).toBe(true);
    expect(isGuid('x')).toBe(false);
    expect(() => guidToHex(new Uint8Array(3))).toThrow(GuidError);
  });
});
