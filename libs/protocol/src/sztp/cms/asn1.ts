import { SztpVerificationError, type SztpVerificationErrorCode } from '../errors';

/**
 * A small strict BER reader (DER is a subset) for CMS and X.509. It checks on parse that every
 * element's children exactly fill it, keeps exact byte ranges (signatures are over received
 * bytes), and is several times faster than a general ASN.1 object model on the verify path.
 */
export interface Asn1 {
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  readonly tagClass: number;
  readonly tagNumber: number;
  readonly constructed: boolean;
  /** Offsets into `bytes`: element start, content start, content end, element end. */
  readonly start: number;
  readonly contentStart: number;
  readonly contentEnd: number;
  readonly end: number;
  readonly bytes: Uint8Array;
  /** Children of a constructed element (end-of-contents markers excluded). */
  readonly children: readonly Asn1[];
}

const MAX_DEPTH = 64;
const UNIVERSAL = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  oid: 6,
  sequence: 16,
  set: 17,
};

/** Universal types that may be constructed in DER (X.690 10.2: strings are primitive). */
const DER_CONSTRUCTED = new Set([8, 11, 16, 17, 29]);

/**
 * Parses one element at `start` within `limit`; undefined when malformed. With `der`, only the
 * distinguished encoding (X.690 10.1, 10.2): definite lengths in the fewest octets, primitive
 * strings, constructed SEQUENCE and SET.
 */
function parseElement(
  bytes: Uint8Array,
  start: number,
  limit: number,
  depth: number,
  der: boolean,
): Asn1 | undefined {
  if (depth > MAX_DEPTH || start + 2 > limit) return undefined;
  let pos = start;
  const identifier = bytes[pos++]!;
  const tagClass = identifier >> 6;
  const constructed = (identifier & 0x20) !== 0;
  let tagNumber = identifier & 0x1f;
  if (tagNumber === 0x1f) {
    tagNumber = 0;
    for (let i = 0; ; i++) {
      if (pos >= limit || i > 3) return undefined;
      const b = bytes[pos++]!;
      tagNumber = tagNumber * 128 + (b & 0x7f);
      if (!(b & 0x80)) break;
    }
  }
  if (pos >= limit) return undefined;
  if (tagClass === 0 && (tagNumber === 16 || tagNumber === 17) && !constructed) return undefined;
  if (der && tagClass === 0 && constructed && !DER_CONSTRUCTED.has(tagNumber)) return undefined;
  const first = bytes[pos++]!;
  const children: Asn1[] = [];
  if (first === 0x80) {
    // Indefinite length: constructed only, children until the end-of-contents octets.
    if (!constructed || der) return undefined;
    const contentStart = pos;
    while (!(bytes[pos] === 0 && bytes[pos + 1] === 0)) {
      const child = parseElement(bytes, pos, limit, depth + 1, der);
      if (child === undefined) return undefined;
      children.push(child);
      pos = child.end;
    }
    if (pos + 2 > limit) return undefined;
    return {
      tagClass,
      tagNumber,
      constructed,
      start,
      contentStart,
      contentEnd: pos,
      end: pos + 2,
      bytes,
      children,
    };
  }
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4 || pos + count > limit) return undefined;
    if (der && bytes[pos] === 0) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[pos++]!;
    if (der && length < 0x80) return undefined;
  }
  const contentStart = pos;
  const contentEnd = pos + length;
  if (contentEnd > limit) return undefined;
  // DER BOOLEAN: one octet, 0x00 or 0xFF (X.690 11.1).
  if (der && tagClass === 0 && tagNumber === UNIVERSAL.boolean) {
    if (length !== 1 || (bytes[contentStart] !== 0 && bytes[contentStart] !== 0xff)) return undefined;
  }
  if (constructed) {
    while (pos < contentEnd) {
      const child = parseElement(bytes, pos, contentEnd, depth + 1, der);
      if (child === undefined) return undefined;
      children.push(child);
      pos = child.end;
    }
  }
  return {
    tagClass,
    tagNumber,
    constructed,
    start,
    contentStart,
    contentEnd,
    end: contentEnd,
    bytes,
    children,
  };
}

function decodeOid(content: Uint8Array): string | undefined {
  if (content.length === 0 || content[content.length - 1]! & 0x80) return undefined;
  const arcs: bigint[] = [];
  let value = 0n;
  for (const b of content) {
    value = (value << 7n) | BigInt(b & 0x7f);
    if (!(b & 0x80)) {
      arcs.push(value);
      value = 0n;
    }
  }
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

const TIME = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/;

export class Asn1Reader {
  /** `der`: refuse encodings other than DER (certificates, RFC 5280 4.1). */
  constructor(
    private readonly code: SztpVerificationErrorCode,
    private readonly options: { readonly der?: boolean } = {},
  ) {}

  fail(what: string): never {
    throw new SztpVerificationError(this.code, `malformed ${what}`);
  }

  /** Parses exactly one element spanning all of `bytes`. */
  parse(bytes: Uint8Array, what: string): Asn1 {
    const element = parseElement(bytes, 0, bytes.length, 0, this.options.der === true);
    if (element === undefined || element.end !== bytes.length) this.fail(what);
    return element;
  }

  private universal(
    node: Asn1 | undefined,
    tagNumber: number,
    constructed: boolean | undefined,
    what: string,
  ): Asn1 {
    if (
      node === undefined ||
      node.tagClass !== 0 ||
      node.tagNumber !== tagNumber ||
      (constructed !== undefined && node.constructed !== constructed)
    ) {
      this.fail(what);
    }
    return node;
  }

  isSequence(node: Asn1 | undefined): node is Asn1 {
    return (
      node !== undefined && node.tagClass === 0 && node.tagNumber === UNIVERSAL.sequence && node.constructed
    );
  }

  sequence(node: Asn1 | undefined, what: string): readonly Asn1[] {
    return this.universal(node, UNIVERSAL.sequence, true, what).children;
  }

  set(node: Asn1 | undefined, what: string): readonly Asn1[] {
    return this.universal(node, UNIVERSAL.set, true, what).children;
  }

  /** Content octets of a primitive element. */
  primitiveContent(node: Asn1 | undefined, what: string): Uint8Array {
    if (node === undefined || node.constructed) this.fail(what);
    return node.bytes.subarray(node.contentStart, node.contentEnd);
  }

  oid(node: Asn1 | undefined, what: string): string {
    const oid = decodeOid(this.primitiveContent(this.universal(node, UNIVERSAL.oid, false, what), what));
    if (oid === undefined) this.fail(what);
    return oid;
  }

  isOid(node: Asn1 | undefined): node is Asn1 {
    return node !== undefined && node.tagClass === 0 && node.tagNumber === UNIVERSAL.oid;
  }

  isNull(node: Asn1 | undefined): node is Asn1 {
    return node !== undefined && node.tagClass === 0 && node.tagNumber === UNIVERSAL.null;
  }

  integerContent(node: Asn1 | undefined, what: string): Uint8Array {
    const content = this.primitiveContent(this.universal(node, UNIVERSAL.integer, false, what), what);
    if (content.length === 0) this.fail(what);
    return Uint8Array.from(content);
  }

  smallInteger(node: Asn1 | undefined, what: string): number {
    const content = this.integerContent(node, what);
    if (content.length > 4 || content[0]! & 0x80) this.fail(what);
    return content.reduce((n, b) => n * 256 + b, 0);
  }

  boolean(node: Asn1 | undefined, what: string): boolean {
    const content = this.primitiveContent(this.universal(node, UNIVERSAL.boolean, false, what), what);
    if (content.length !== 1) this.fail(what);
    return content[0] !== 0;
  }

  isBoolean(node: Asn1 | undefined): node is Asn1 {
    return node !== undefined && node.tagClass === 0 && node.tagNumber === UNIVERSAL.boolean;
  }

  /** BIT STRING content without the unused-bits octet. */
  bitString(node: Asn1 | undefined, what: string): Uint8Array {
    const content = this.primitiveContent(this.universal(node, UNIVERSAL.bitString, false, what), what);
    if (content.length === 0 || content[0]! > 7) this.fail(what);
    // The unused bits must be zero (X.690 11.2.1: certificates are DER), and an empty string has none.
    const unused = content[0]!;
    if (unused > 0 && (content.length === 1 || (content[content.length - 1]! & ((1 << unused) - 1)) !== 0))
      this.fail(what);
    return content.subarray(1);
  }

  /** OCTET STRING content, joining the segments of a constructed (BER) encoding. */
  octets(node: Asn1 | undefined, what: string): Uint8Array {
    const element = this.universal(node, UNIVERSAL.octetString, undefined, what);
    if (!element.constructed) return Uint8Array.from(this.primitiveContent(element, what));
    return Uint8Array.from(Buffer.concat(element.children.map((child) => this.octets(child, what))));
  }

  /** UTCTime or GeneralizedTime (UTC, as RFC 5280 requires). */
  time(node: Asn1 | undefined, what: string): Date {
    if (node === undefined || node.tagClass !== 0 || (node.tagNumber !== 23 && node.tagNumber !== 24))
      this.fail(what);
    const text = Buffer.from(this.primitiveContent(node, what)).toString('latin1');
    const match = TIME.exec(text);
    if (match === null || (node.tagNumber === 23) !== (match[1]!.length === 2)) this.fail(what);
    const year =
      match[1]!.length === 2 ? (Number(match[1]) < 50 ? 2000 : 1900) + Number(match[1]) : Number(match[1]);
    const [month, day, hour, minute, second] = match.slice(2, 7).map(Number) as [
      number,
      number,
      number,
      number,
      number,
    ];
    const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
    // Date.UTC carries over out-of-range fields (hour 80, 31 February): refuse them instead.
    if (
      date.getUTCFullYear() !== year ||
      date.getUTCMonth() !== month - 1 ||
      date.getUTCDate() !== day ||
      date.getUTCHours() !== hour ||
      date.getUTCMinutes() !== minute ||
      date.getUTCSeconds() !== second
    )
      this.fail(what);
    return date;
  }

  /** Context-specific tag number, or undefined for other classes. */
  contextTag(node: Asn1 | undefined): number | undefined {
    return node !== undefined && node.tagClass === 2 ? node.tagNumber : undefined;
  }

  /** Children of a constructed context-tagged element. */
  tagged(node: Asn1 | undefined, tagNumber: number, what: string): readonly Asn1[] {
    if (node === undefined || this.contextTag(node) !== tagNumber || !node.constructed) this.fail(what);
    return node.children;
  }

  /** Exact encoding of an element as received. */
  raw(node: Asn1): Uint8Array {
    return Uint8Array.from(node.bytes.subarray(node.start, node.end));
  }
}

function identifierOctets(node: Asn1, constructed: boolean): number[] {
  const head = (node.tagClass << 6) | (constructed ? 0x20 : 0);
  if (node.tagNumber < 31) return [head | node.tagNumber];
  const tail: number[] = [];
  for (let n = node.tagNumber; n > 0; n = Math.floor(n / 128))
    tail.unshift((n % 128) | (tail.length ? 0x80 : 0));
  return [head | 0x1f, ...tail];
}

function lengthOctets(length: number): number[] {
  if (length < 0x80) return [length];
  const out: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) out.unshift(n % 256);
  return [0x80 | out.length, ...out];
}

function primitiveBytes(node: Asn1): Uint8Array {
  if (!node.constructed) return node.bytes.subarray(node.contentStart, node.contentEnd);
  return Buffer.concat(node.children.map(primitiveBytes));
}

/**
 * The DER form of a (possibly BER) element: definite lengths in the fewest octets, constructed
 * strings joined into primitive ones. For comparing values a BER producer may encode differently,
 * such as a SignerInfo's issuer Name against the certificate's DER one (SET OF order is kept).
 */
export function canonicalDer(node: Asn1): Uint8Array {
  const flatten = node.tagClass === 0 && node.constructed && !DER_CONSTRUCTED.has(node.tagNumber);
  const constructed = node.constructed && !flatten;
  const content = constructed ? Buffer.concat(node.children.map(canonicalDer)) : primitiveBytes(node);
  return Buffer.concat([
    Uint8Array.from(identifierOctets(node, constructed)),
    Uint8Array.from(lengthOctets(content.length)),
    content,
  ]);
}
