/**
 * A minimal DER writer for the CMS structures we emit. Writing DER directly (rather than through
 * a generic ASN.1 object model) keeps the output canonical: definite lengths, primitive OCTET
 * STRINGs of any size, and SET OF elements sorted where DER requires it.
 */
function lengthBytes(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function tlv(tag: number, content: Uint8Array): Uint8Array {
  return concat([Uint8Array.of(tag), lengthBytes(content.length), content]);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** Content octets of a DER SET OF: the elements sorted by their encodings (X.690 11.6). */
export function setOfContent(parts: readonly Uint8Array[]): Uint8Array {
  return concat([...parts].sort(compareBytes));
}

export const der = {
  sequence: (...parts: Uint8Array[]) => tlv(0x30, concat(parts)),
  setOf: (parts: readonly Uint8Array[]) => tlv(0x31, setOfContent(parts)),
  integer(value: number): Uint8Array {
    const bytes: number[] = [];
    let n = value;
    do {
      bytes.unshift(n & 0xff);
      n = Math.floor(n / 256);
    } while (n > 0);
    if (bytes[0]! & 0x80) bytes.unshift(0);
    return tlv(0x02, Uint8Array.from(bytes));
  },
  octetString: (bytes: Uint8Array) => tlv(0x04, bytes),
  null: () => Uint8Array.of(0x05, 0x00),
  oid(dotted: string): Uint8Array {
    const arcs = dotted.split('.').map(BigInt);
    const first = arcs[0]! * 40n + arcs[1]!;
    const body: number[] = [];
    for (const arc of [first, ...arcs.slice(2)]) {
      const chunk: number[] = [];
      let n = arc;
      do {
        chunk.unshift(Number(n & 0x7fn));
        n >>= 7n;
      } while (n > 0n);
      for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
      body.push(...chunk);
    }
    return tlv(0x06, Uint8Array.from(body));
  },
  /** [n] EXPLICIT: a constructed context tag around one complete TLV. */
  explicit: (tagNumber: number, inner: Uint8Array) => tlv(0xa0 | tagNumber, inner),
  /** [n] IMPLICIT on a constructed type: the given content octets under a context tag. */
  implicitConstructed: (tagNumber: number, content: Uint8Array) => tlv(0xa0 | tagNumber, content),
  /** UTCTime for 1950..2049, GeneralizedTime otherwise (RFC 5652 section 11.3, RFC 5280). */
  time(date: Date): Uint8Array {
    const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
    const year = date.getUTCFullYear();
    const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
    if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'ascii'));
    return tlv(0x18, Buffer.from(`${digits}Z`, 'ascii'));
  },
  algorithmIdentifier(oid: string, parameters?: Uint8Array): Uint8Array {
    return parameters === undefined ? der.sequence(der.oid(oid)) : der.sequence(der.oid(oid), parameters);
  },
};
