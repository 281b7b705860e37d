import { describe, expect, it } from 'vitest';
import { CryptoError } from './errors';
import { parsePemBlocks, toPem } from './pem';

describe('PEM', () => {
  it('writes 64-character lines and reads them back', () => {
    const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);
    const pem = toPem('TEST DATA', bytes);
    const lines = pem.trimEnd().split('\n');
    expect(lines[0]).toBe('-----BEGIN TEST DATA-----');
    expect(lines.at(-1)).toBe('-----END TEST DATA-----');
    expect(lines.slice(1, -1).map((l) => l.length)).toEqual([64, 64, 8]);
    expect(parsePemBlocks(pem)).toEqual([{ label: 'TEST DATA', bytes }]);
    expect(toPem('EMPTY', new Uint8Array(0))).toBe('-----BEGIN EMPTY-----\n-----END EMPTY-----\n');
  });

  it('reads blocks among other text with CRLF and indentation', () => {
    const text = `junk\r\n  -----BEGIN A-----\r\n  AAEC\r\n  -----END A-----\r\nmore\n-----BEGIN B-----\nAw==\n-----END B-----`;
    expect(parsePemBlocks(text)).toEqual([
      { label: 'A', bytes: Uint8Array.of(0, 1, 2) },
      { label: 'B', bytes: Uint8Array.of(3) },
    ]);
    expect(parsePemBlocks('no pem here')).toEqual([]);
  });

  it.each([
    ['a mismatched END', '-----BEGIN A-----\nAAEC\n-----END B-----'],
    ['characters outside base64', '-----BEGIN A-----\nAA*C\n-----END A-----'],
    ['an impossible length', '-----BEGIN A-----\nAAECA\n-----END A-----'],
  ])('refuses %s', (_name, text) => {
    expect(() => parsePemBlocks(text)).toThrow(CryptoError);
  });
});
