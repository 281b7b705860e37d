import { CborError } from '../../cbor';

/**
 * Finds where the CBOR item starting at `offset` ends without decoding it, or how many bytes it needs
 * at least when the buffer stops early. Used to reassemble ServiceInfo values split into pieces: an
 * item that is merely incomplete is waited for, while bytes no item can start with are an error.
 */
export type ItemExtent = { complete: true; end: number } | { complete: false; needed: number };

const MAX_DEPTH = 64;

export function cborItemExtent(bytes: Uint8Array, offset = 0, depth = 0): ItemExtent {
  if (depth > MAX_DEPTH) throw new CborError('too-deep', 'CBOR nested too deeply');
  if (offset >= bytes.length) return { complete: false, needed: offset + 1 };
  const initial = bytes[offset]!;
  const major = initial >> 5;
  const info = initial & 31;
  if (info === 31) throw new CborError('indefinite-length', 'indefinite-length CBOR item');
  if (info > 27) throw new CborError('malformed', `reserved CBOR additional information ${info}`);
  const argumentBytes = info < 24 ? 0 : 1 << (info - 24);
  let end = offset + 1 + argumentBytes;
  if (end > bytes.length) return { complete: false, needed: end };
  // Integers, floats and tag numbers need no argument here; lengths and counts do.
  if (major === 0 || major === 1 || major === 6 || major === 7)
    return major === 6 ? cborItemExtent(bytes, end, depth + 1) : { complete: true, end };
  let argument = info < 24 ? info : 0;
  for (let i = 0; i < argumentBytes; i++) argument = argument * 256 + bytes[offset + 1 + i]!;
  if (!Number.isSafeInteger(argument)) throw new CborError('too-large', 'CBOR length beyond 2^53');
  switch (major) {
    case 2:
    case 3:
      end += argument;
      return end > bytes.length ? { complete: false, needed: end } : { complete: true, end };
    default: {
      const items = major === 4 ? argument : 2 * argument;
      for (let i = 0; i < items; i++) {
        const inner = cborItemExtent(bytes, end, depth + 1);
        if (!inner.complete) return inner;
        end = inner.end;
      }
      return { complete: true, end };
    }
  }
}
