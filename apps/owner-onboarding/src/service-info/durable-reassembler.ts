import {
  CborError,
  cborItemExtent,
  concatBytes,
  decode,
  ErrorCode,
  FdoMessageError,
  parseServiceInfoKey,
  type ServiceInfo,
  type ServiceInfoMessage,
} from '@ztp/protocol';

/** A value split across messages whose remaining pieces have not arrived yet. */
export interface PendingValue {
  key: string;
  bytes: Uint8Array;
}

/** Largest single ServiceInfo message body accepted from a device. */
export const MAX_DEVICE_VALUE_BYTES = 1024 * 1024;

/**
 * ServiceInfo reassembly whose unfinished part is plain data, so it can sit in the stored session
 * between two messages (which may reach different replicas). Consecutive pairs with one key form a
 * byte stream holding one or more CBOR items, each a message (as go-fdo chunks long values).
 */
export function reassemble(
  pending: PendingValue | null,
  serviceInfo: ServiceInfo,
): { messages: ServiceInfoMessage[]; pending: PendingValue | null } {
  const messages: ServiceInfoMessage[] = [];
  let current = pending;
  for (const kv of serviceInfo) {
    const { module, message } = parseServiceInfoKey(kv.key);
    if (current && current.key !== kv.key)
      throw new FdoMessageError(
        ErrorCode.MessageBodyError,
        `ServiceInfo "${current.key}": value ends before its CBOR item is complete`,
      );
    if (!current && kv.value.length === 0)
      throw new CborError('malformed', `ServiceInfo "${kv.key}": empty value`);
    const stream = current ? concatBytes([current.bytes, kv.value]) : kv.value;
    if (stream.length > MAX_DEVICE_VALUE_BYTES)
      throw new FdoMessageError(ErrorCode.MessageBodyError, `ServiceInfo "${kv.key}": value too large`);
    let offset = 0;
    while (offset < stream.length) {
      const extent = cborItemExtent(stream, offset);
      if (!extent.complete) break;
      const bytes = stream.subarray(offset, extent.end);
      messages.push({ module, message, body: decode(bytes, { maxBytes: MAX_DEVICE_VALUE_BYTES }), bytes });
      offset = extent.end;
    }
    current = offset < stream.length ? { key: kv.key, bytes: stream.slice(offset) } : null;
  }
  return { messages, pending: current };
}
