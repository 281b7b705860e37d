/** Produces `size` random bytes; injected so issuance is reproducible in tests. */
export type RandomBytes = (size: number) => Uint8Array;

/**
 * A random positive 16-byte certificate serial number, as hex. The top bit is cleared so the DER
 * INTEGER needs no sign byte, and a zero first byte is avoided so the encoding stays 16 bytes; that
 * leaves 126 bits of randomness, above the 64 bits CA/Browser Forum rules ask for.
 */
export function randomSerialNumber(randomBytes: RandomBytes): string {
  const bytes = Uint8Array.from(randomBytes(16));
  if (bytes.length !== 16) throw new RangeError('randomBytes returned the wrong length');
  bytes[0] = bytes[0]! & 0x7f || 0x01;
  return Buffer.from(bytes).toString('hex');
}
