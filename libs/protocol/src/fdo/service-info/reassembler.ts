import { CborError, concatBytes, decode, type CborValue } from '../../cbor';
import { ErrorCode } from '../constants';
import { FdoMessageError } from '../messages/errors';
import { cborItemExtent } from './cbor-item-length';
import { parseServiceInfoKey, type ServiceInfo } from './service-info';

/** One logical ServiceInfo message, its body reassembled from however many pairs carried it. */
export interface ServiceInfoMessage {
  module: string;
  message: string;
  body: CborValue;
  /** The body's CBOR bytes. */
  bytes: Uint8Array;
}

/**
 * Turns received ServiceInfo back into logical messages. Consecutive pairs with the same key are
 * one byte stream (go-fdo's chunking splits a long value at any byte, even across messages); the
 * stream holds one or more complete CBOR items, each one message. A value still incomplete when a
 * different key arrives, or at finish(), is a MessageBodyError.
 */
export class ServiceInfoReassembler {
  private pendingKey: string | null = null;
  private pieces: Uint8Array[] = [];
  private pendingLength = 0;
  /** Bytes the pending item needs before it is worth scanning again. */
  private needed = 0;

  /** @param maxValueSize largest single message body accepted (default 1 MiB). */
  constructor(private readonly maxValueSize = 1024 * 1024) {}

  /** True while a split value waits for its remaining pieces. */
  get pending(): boolean {
    return this.pendingKey !== null;
  }

  /** Feeds one received ServiceInfo; returns the messages it completed, in order. */
  push(serviceInfo: ServiceInfo): ServiceInfoMessage[] {
    const out: ServiceInfoMessage[] = [];
    for (const kv of serviceInfo) {
      const { module, message } = parseServiceInfoKey(kv.key);
      if (this.pendingKey !== null && this.pendingKey !== kv.key) this.failIncomplete();
      if (this.pendingKey === null && kv.value.length === 0)
        throw new CborError('malformed', `ServiceInfo "${kv.key}": empty value`);
      this.pendingKey = kv.key;
      this.pieces.push(kv.value);
      this.pendingLength += kv.value.length;
      if (this.pendingLength > this.maxValueSize)
        throw new FdoMessageError(
          ErrorCode.MessageBodyError,
          `ServiceInfo "${kv.key}": value exceeds ${this.maxValueSize} bytes`,
        );
      if (this.pendingLength < this.needed) continue;
      const stream = this.pieces.length === 1 ? this.pieces[0]! : concatBytes(this.pieces);
      let offset = 0;
      while (offset < stream.length) {
        const extent = cborItemExtent(stream, offset);
        if (!extent.complete) {
          this.needed = extent.needed - offset;
          break;
        }
        const bytes = stream.subarray(offset, extent.end);
        out.push({ module, message, body: decode(bytes, { maxBytes: this.maxValueSize }), bytes });
        offset = extent.end;
      }
      const rest = stream.subarray(offset);
      this.pieces = rest.length > 0 ? [rest] : [];
      this.pendingLength = rest.length;
      if (rest.length === 0) {
        this.pendingKey = null;
        this.needed = 0;
      }
    }
    return out;
  }

  /** Call when the peer has no more ServiceInfo to send: a value still incomplete is an error. */
  finish(): void {
    if (this.pendingKey !== null) this.failIncomplete();
  }

  private failIncomplete(): never {
    throw new FdoMessageError(
      ErrorCode.MessageBodyError,
      `ServiceInfo "${this.pendingKey}": value ends before its CBOR item is complete`,
    );
  }
}
