import * as asn1js from 'asn1js';
import { SztpVerificationError, type SztpVerificationErrorCode } from '../errors';

/** Reading helpers over asn1js (which accepts BER, as CMS producers emit) with typed errors. */
export type Asn1 = asn1js.AsnType;

export class Asn1Reader {
  constructor(private readonly code: SztpVerificationErrorCode) {}

  fail(what: string): never {
    throw new SztpVerificationError(this.code, `malformed ${what}`);
  }

  parse(bytes: Uint8Array, what: string): Asn1 {
    let parsed: ReturnType<typeof asn1js.fromBER>;
    try {
      parsed = asn1js.fromBER(bytes);
    } catch {
      this.fail(what);
    }
    if (parsed.offset === -1 || parsed.offset !== bytes.length || parsed.result.error) this.fail(what);
    return parsed.result;
  }

  /** Children of a universal SEQUENCE. */
  sequence(node: Asn1 | undefined, what: string): Asn1[] {
    if (!(node instanceof asn1js.Sequence)) this.fail(what);
    return node.valueBlock.value;
  }

  set(node: Asn1 | undefined, what: string): Asn1[] {
    if (!(node instanceof asn1js.Set)) this.fail(what);
    return node.valueBlock.value;
  }

  oid(node: Asn1 | undefined, what: string): string {
    if (!(node instanceof asn1js.ObjectIdentifier)) this.fail(what);
    return node.valueBlock.toString();
  }

  integerContent(node: Asn1 | undefined, what: string): Uint8Array {
    if (!(node instanceof asn1js.Integer)) this.fail(what);
    return new Uint8Array(node.valueBlock.valueHexView);
  }

  smallInteger(node: Asn1 | undefined, what: string): number {
    if (!(node instanceof asn1js.Integer)) this.fail(what);
    const value = node.valueBlock.valueDec;
    if (!Number.isSafeInteger(value)) this.fail(what);
    return value;
  }

  /** OCTET STRING content, joining the segments of a constructed (BER) encoding. */
  octets(node: Asn1 | undefined, what: string): Uint8Array {
    if (!(node instanceof asn1js.OctetString)) this.fail(what);
    return octetStringContent(node, this, what);
  }

  /** Context-specific tag number, or undefined for other classes. */
  contextTag(node: Asn1 | undefined): number | undefined {
    return node !== undefined && node.idBlock.tagClass === 3 ? node.idBlock.tagNumber : undefined;
  }

  /** Children of a constructed context-tagged element. */
  tagged(node: Asn1 | undefined, tagNumber: number, what: string): Asn1[] {
    if (this.contextTag(node) !== tagNumber || !node!.idBlock.isConstructed) this.fail(what);
    const value = (node as asn1js.Constructed).valueBlock.value;
    if (!Array.isArray(value)) this.fail(what);
    return value;
  }

  /** Content octets of a primitive element (e.g. an IMPLICIT-tagged OCTET STRING). */
  primitiveContent(node: Asn1 | undefined, what: string): Uint8Array {
    const view = (node?.valueBlock as { valueHexView?: Uint8Array } | undefined)?.valueHexView;
    if (node === undefined || node.idBlock.isConstructed || view === undefined) this.fail(what);
    return new Uint8Array(view);
  }

  /** Exact encoding of an element as received. */
  raw(node: Asn1): Uint8Array {
    return new Uint8Array(node.valueBeforeDecodeView);
  }
}

function octetStringContent(node: asn1js.OctetString, reader: Asn1Reader, what: string): Uint8Array {
  if (!node.idBlock.isConstructed) return new Uint8Array(node.valueBlock.valueHexView);
  const parts = node.valueBlock.value.map((child) => {
    if (!(child instanceof asn1js.OctetString)) reader.fail(what);
    return octetStringContent(child, reader, what);
  });
  return Uint8Array.from(Buffer.concat(parts));
}
