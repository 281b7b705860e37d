import { type ServiceInfo, type ServiceInfoKv } from './service-info';

/** Encoded sizes, for fitting ServiceInfo into the negotiated maximum without encoding it. */

const utf8 = new TextEncoder();

/** Bytes of a CBOR head (major type + length) for this length. */
export function cborHeadSize(length: number): number {
  if (length < 24) return 1;
  if (length < 0x100) return 2;
  if (length < 0x10000) return 3;
  if (length < 0x100000000) return 5;
  return 9;
}

/** Encoded size of a text string of this key. */
export function encodedKeySize(key: string): number {
  const n = utf8.encode(key).length;
  return cborHeadSize(n) + n;
}

/** Encoded size of `[key, bstr(value of valueLength bytes)]`. */
export function kvSizeFor(key: string, valueLength: number): number {
  return 1 + encodedKeySize(key) + cborHeadSize(valueLength) + valueLength;
}

export function serviceInfoKvSize(kv: ServiceInfoKv): number {
  return kvSizeFor(kv.key, kv.value.length);
}

/** Encoded size of the whole ServiceInfo array. */
export function serviceInfoSize(serviceInfo: ServiceInfo): number {
  return serviceInfo.reduce((total, kv) => total + serviceInfoKvSize(kv), cborHeadSize(serviceInfo.length));
}
