import { ErrorCode } from '../constants';
import { FdoMessageError } from '../messages/errors';
import { DEFAULT_MAX_SERVICE_INFO_SIZE, type ServiceInfo, type ServiceInfoKv } from './service-info';
import { cborHeadSize, encodedKeySize, kvSizeFor, serviceInfoKvSize } from './size';

export interface ChunkOptions {
  /**
   * The peer's negotiated maximum (maxOwnerServiceInfoSz from 66 when the owner sends,
   * maxDeviceServiceInfoSz from 67 when the device sends; null there means 1300). It bounds the
   * encoded ServiceInfo array of each message, which is what go-fdo's owner enforces.
   */
  maxSize?: number;
  /**
   * A value too large for any single message is split into raw byte pieces under the same key in
   * consecutive pairs, which go-fdo reassembles (default). When false such a value is an error, for
   * peers that need every pair to hold a whole value; modules should then size values with
   * maxWholeValueSize.
   */
  splitValues?: boolean;
}

/**
 * Packs a queue of pairs, in order, into as few ServiceInfo messages as fit the maximum. A pair that
 * does not fit in the current message starts the next one; a pair too large for an empty message is
 * split (see ChunkOptions.splitValues). Returns one ServiceInfo per message (none for no pairs); the
 * sender sets IsMoreServiceInfo on every message but the last.
 */
export function chunkServiceInfo(kvs: ServiceInfoKv[], options: ChunkOptions = {}): ServiceInfo[] {
  const maxSize = options.maxSize ?? DEFAULT_MAX_SERVICE_INFO_SIZE;
  const messages: ServiceInfo[] = [];
  let current: ServiceInfo = [];
  let currentSize = cborHeadSize(0);
  const room = () =>
    maxSize - currentSize - (cborHeadSize(current.length + 1) - cborHeadSize(current.length));
  const add = (kv: ServiceInfoKv) => {
    currentSize += serviceInfoKvSize(kv) + cborHeadSize(current.length + 1) - cborHeadSize(current.length);
    current.push(kv);
  };
  const flush = () => {
    if (current.length > 0) messages.push(current);
    current = [];
    currentSize = cborHeadSize(0);
  };

  for (const kv of kvs) {
    const size = serviceInfoKvSize(kv);
    if (size <= room()) {
      add(kv);
      continue;
    }
    if (size + cborHeadSize(1) <= maxSize) {
      flush();
      add(kv);
      continue;
    }
    if (options.splitValues === false)
      throw new FdoMessageError(
        ErrorCode.InternalServerError,
        `ServiceInfo "${kv.key}" (${size} bytes) does not fit a ${maxSize}-byte ServiceInfo`,
      );
    let rest = kv.value;
    while (rest.length > 0) {
      const n = Math.min(rest.length, largestPiece(kv.key, room()));
      if (n <= 0) {
        if (current.length === 0)
          throw new FdoMessageError(
            ErrorCode.InternalServerError,
            `ServiceInfo maximum ${maxSize} is too small for key "${kv.key}"`,
          );
        flush();
        continue;
      }
      add({ key: kv.key, value: rest.subarray(0, n) });
      rest = rest.subarray(n);
      if (rest.length > 0) flush();
    }
  }
  flush();
  return messages;
}

/** The largest value piece whose pair `[key, bstr(piece)]` fits in `room` bytes (0 if none). */
function largestPiece(key: string, room: number): number {
  const available = room - 1 - encodedKeySize(key);
  let n = available - 1;
  while (n > 0 && kvSizeFor(key, n) > room) n--;
  return Math.max(n, 0);
}

/**
 * The largest whole value (encoded CBOR bytes) that fits alone in one message under this maximum:
 * what a module like fdo.download should size its data chunks by to avoid split values.
 */
export function maxWholeValueSize(key: string, maxSize = DEFAULT_MAX_SERVICE_INFO_SIZE): number {
  return largestPiece(key, maxSize - cborHeadSize(1));
}
