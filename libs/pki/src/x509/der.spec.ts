import { describe, expect, it } from 'vitest';
import { isSingleDerSequence } from './der';

describe('isSingleDerSequence', () => {
  it('accepts exactly one SEQUENCE in short or long length form', () => {
    expect(isSingleDerSequence(Uint8Array.of(0x30, 0x00))).toBe(true);
    expect(isSingleDerSequence(Uint8Array.of(0x30, 0x02, 0x05, 0x00))).toBe(true);
    expect(isSingleDerSequence(Uint8Array.from([0x30, 0x81, 0x80, ...new Uint8Array(0x80)]))).toBe(true);
    expect(isSingleDerSequence(Uint8Array.from([0x30, 0x82, 0x01, 0x00, ...new Uint8Array(0x100)]))).toBe(
      true,
    );
  });

  it('refuses trailing or missing bytes, other tags and non-minimal lengths', () => {
    expect(isSingleDerSequence(Uint8Array.of(0x30, 0x00, 0x00))).toBe(false);
    expect(isSingleDerSequence(Uint8Array.of(0x30, 0x02, 0x05))).toBe(false);
    expect(isSingleDerSequence(Uint8Array.of(0x31, 0x00))).toBe(false);
    expect(isSingleDerSequence(Uint8Array.of(0x30, 0x80, 0x00, 0x00))).toBe(false);
    expect(isSingleDerSequence(Uint8Array.of(0x30, 0x81, 0x02, 0x05, 0x00))).toBe(false);
    expect(isSingleDerSequence(Uint8Array.from([0x30, 0x82, 0x00, 0x80, ...new Uint8Array(0x80)]))).toBe(
      false,
    );
    expect(isSingleDerSequence(new Uint8Array())).toBe(false);
  });
});
