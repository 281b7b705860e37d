import { describe, expect, it } from 'vitest';
import { CborError, decode, encode, type CborValue, type Tagged } from '../cbor';
import {
  decodeEatPayload,
  eatUnprotectedFromCbor,
  eatUnprotectedToCbor,
  encodeEatPayload,
  newEatPayload,
  proveDeviceFdoClaim,
  readProveDeviceFdoClaim,
} from './eat';
import { captureBodies } from './messages/captures.testing';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function sign1Parts(folder: string, file: string): { unprotected: CborValue; payload: Uint8Array } {
  const body = captureBodies(folder).find((c) => c.file === file)!;
  const [, unprotected, payload] = (decode(body.bytes) as Tagged).value as CborValue[];
  return { unprotected, payload: payload as Uint8Array };
}

describe('EAT payload', () => {
  it('reads TO1.ProveToRV from the capture: nonce from HelloRVAck, UEID = 0x01 || GUID', () => {
    const { payload } = sign1Parts('basic', '004-msg32-req.hex');
    const eat = decodeEatPayload(payload);
    expect(hex(eat.nonce)).toBe('cdabf6f6b268f8cb8213b6602d42e4fb');
    expect(hex(eat.guid)).toBe('c0e1b88d1fa7f77a3c348e597bfc4980');
    expect(eat.ueidLabel).toBe(256);
    expect(eat.fdo).toBeUndefined();
    expect(hex(encodeEatPayload(eat))).toBe(hex(payload));
  });

  it('reads TO2.ProveDevice: FDO claim [xB], EUPHNonce in the unprotected header', () => {
    const { unprotected, payload } = sign1Parts('basic', '007-msg64-req.hex');
    const eat = decodeEatPayload(payload);
    expect(readProveDeviceFdoClaim(eat).length).toBe(150);
    expect(hex(encodeEatPayload(eat))).toBe(hex(payload));
    const headers = eatUnprotectedFromCbor(unprotected);
    expect(hex(headers.euphNonce!)).toBe('30c91740aa3be8b88d082e90b16bdce5');
    expect(hex(encode(eatUnprotectedToCbor(headers)))).toBe(hex(encode(unprotected)));
  });

  it('builds the same bytes go-fdo does', () => {
    const { payload } = sign1Parts('basic', '007-msg64-req.hex');
    const eat = decodeEatPayload(payload);
    const rebuilt = newEatPayload(eat.guid, eat.nonce, proveDeviceFdoClaim(readProveDeviceFdoClaim(eat)));
    expect(hex(encodeEatPayload(rebuilt))).toBe(hex(payload));
  });

  it('accepts the fdo-rs UEID label 11 and keeps it, and keeps other claims', () => {
    const guid = new Uint8Array(16).fill(7);
    const nonce = new Uint8Array(16).fill(9);
    const bytes = encode(
      new Map<CborValue, CborValue>([
        [10, nonce],
        [11, Uint8Array.from([1, ...guid])],
        [-70000, 'x'],
      ]),
    );
    const eat = decodeEatPayload(bytes);
    expect(eat.ueidLabel).toBe(11);
    expect(eat.guid).toEqual(guid);
    expect(eat.otherClaims).toEqual(new Map([[-70000, 'x']]));
    expect(hex(encodeEatPayload(eat))).toBe(hex(bytes));
  });

  it.each([
    ['no nonce', new Map<CborValue, CborValue>([[256, new Uint8Array(17).fill(1)]]), /EAT\.nonce/],
    [
      'a short UEID',
      new Map<CborValue, CborValue>([
        [10, new Uint8Array(16)],
        [256, new Uint8Array(16)],
      ]),
      /EAT\.ueid: expected 17 bytes/,
    ],
    [
      'a non-RAND UEID',
      new Map<CborValue, CborValue>([
        [10, new Uint8Array(16)],
        [256, new Uint8Array(17).fill(2)],
      ]),
      /type must be RAND/,
    ],
    [
      'both UEID labels',
      new Map<CborValue, CborValue>([
        [10, new Uint8Array(16)],
        [11, new Uint8Array(17).fill(1)],
        [256, new Uint8Array(17).fill(1)],
      ]),
      /both labels/,
    ],
    ['an array', [1, 2], /expected a map/],
  ])('rejects %s', (_name, value, message) => {
    expect(() => decodeEatPayload(encode(value))).toThrow(CborError);
    expect(() => decodeEatPayload(encode(value))).toThrow(message);
  });

  it('rejects a missing or malformed FDO claim', () => {
    const eat = newEatPayload(new Uint8Array(16), new Uint8Array(16));
    expect(() => readProveDeviceFdoClaim(eat)).toThrow(/claim missing/);
    expect(() => readProveDeviceFdoClaim({ ...eat, fdo: ['x'] })).toThrow(/xBKeyExchange/);
    expect(() => eatUnprotectedFromCbor(new Map([[-259, new Uint8Array(3)]]))).toThrow(/EUPHNonce/);
  });
});
