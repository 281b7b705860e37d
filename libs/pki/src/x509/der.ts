/**
 * Whether `der` is exactly one DER SEQUENCE: tag 0x30, a definite minimal-form length, and nothing
 * after it. The ASN.1 parsers stop at the end of the first element and would accept trailing bytes.
 */
export function isSingleDerSequence(der: Uint8Array): boolean {
  if (der.length < 2 || der[0] !== 0x30) return false;
  const first = der[1]!;
  if (first < 0x80) return der.length === 2 + first;
  const octets = first & 0x7f;
  if (octets === 0 || octets > 4 || der.length < 2 + octets || der[2] === 0) return false;
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + der[2 + i]!;
  if (length < 0x80) return false;
  return der.length === 2 + octets + length;
}
