import { describe, expect, it } from 'vitest';
import { PkiError } from '../errors';
import { certificateFingerprint } from './fingerprint';
import { chainToPem, derToPem, pemToDer, pemToDerAll } from './pem';
import { randomSerialNumber } from './serial-number';

const a = Uint8Array.from({ length: 100 }, (_, i) => i);
const b = Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x05]);

describe('PEM', () => {
  it('round-trips DER with 64-character lines', () => {
    const pem = derToPem(a);
    expect(
      pem
        .split('\n')
        .slice(1, -2)
        .every((line) => line.length <= 64),
    ).toBe(true);
    expect(pem.startsWith('-----BEGIN CERTIFICATE-----\n')).toBe(true);
    expect(pem.endsWith('-----END CERTIFICATE-----\n')).toBe(true);
    expect(pemToDer(pem)).toEqual(a);
  });

  it('reads chains in order, skipping other labels and text around blocks', () => {
    const text = `subject=CN=x\n${chainToPem([a, b])}${derToPem(b, 'PRIVATE KEY')}`;
    expect(pemToDerAll(text)).toEqual([a, b]);
    expect(pemToDerAll(text.replace(/\n/g, '\r\n'))).toEqual([a, b]);
    expect(pemToDer(text, 'PRIVATE KEY')).toEqual(b);
  });

  it('refuses missing, repeated and corrupt blocks with malformed-pem', () => {
    const malformed = expect.objectContaining({ code: 'malformed-pem' });
    expect(() => pemToDer('no pem here')).toThrow(malformed);
    expect(() => pemToDer(chainToPem([a, b]))).toThrow(malformed);
    expect(() => pemToDerAll('-----BEGIN CERTIFICATE-----\nAB$C\n-----END CERTIFICATE-----\n')).toThrow(
      PkiError,
    );
    expect(() => pemToDerAll('-----BEGIN CERTIFICATE-----\nABC\n-----END CERTIFICATE-----\n')).toThrow(
      malformed,
    );
  });
});

describe('certificateFingerprint', () => {
  it('is the SHA-256 of the DER in lowercase hex', () => {
    expect(certificateFingerprint(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe('randomSerialNumber', () => {
  it('is 16 bytes, positive, never starting with a zero byte', () => {
    expect(randomSerialNumber(() => new Uint8Array(16).fill(0xff))).toBe('7f' + 'ff'.repeat(15));
    expect(randomSerialNumber(() => new Uint8Array(16))).toBe('01' + '00'.repeat(15));
    expect(randomSerialNumber(() => Uint8Array.from({ length: 16 }, (_, i) => i + 0x80))).toBe(
      '018182838485868788898a8b8c8d8e8f',
    );
  });
});
