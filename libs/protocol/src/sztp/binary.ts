import { SztpPayloadError } from './errors';

/**
 * YANG `binary` (RFC 7950 section 9.8, RFC 7951 section 6.6) is base64 per RFC 4648 section 4.
 * Accepted leniently, as real peers send it: ASCII whitespace anywhere (line-wrapped XML from
 * `base64`), and missing padding (the anima-wg MASA emits unpadded nonces). Refused: characters
 * outside the standard alphabet, padding in the middle, and impossible lengths.
 */
const BASE64_BODY = /^[A-Za-z0-9+/]*$/;

export function decodeBinary(text: string, path: string): Uint8Array {
  const compact = text.replace(/[\t\n\r ]+/g, '');
  const body = compact.replace(/={1,2}$/, '');
  const padding = compact.length - body.length;
  if (
    !BASE64_BODY.test(body) ||
    body.length % 4 === 1 ||
    (padding > 0 && (body.length + padding) % 4 !== 0)
  ) {
    throw new SztpPayloadError('invalid-value', path, 'not valid base64');
  }
  return new Uint8Array(Buffer.from(body, 'base64'));
}

/** Canonical YANG binary: padded base64, no line breaks. */
export function encodeBinary(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** `yang:hex-string`: colon-separated octets, e.g. `7b:ca:e6`. Accepted case-insensitively. */
const HEX_STRING = /^([0-9a-fA-F]{2}(:[0-9a-fA-F]{2})*)?$/;

export function decodeHexString(text: string, path: string): Uint8Array {
  if (!HEX_STRING.test(text)) throw new SztpPayloadError('invalid-value', path, 'not a yang:hex-string');
  return new Uint8Array(Buffer.from(text.replace(/:/g, ''), 'hex'));
}

export function encodeHexString(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
