import { asArray, asBytes, asText, CborError, decode, encode, type CborValue } from '../../cbor';

/**
 * ServiceInfo (FDO 1.1 section 3.8): an array of `[ServiceInfoKey, ServiceInfoVal]` pairs, the key
 * "module:message" and the value a byte string wrapping the CBOR-encoded message body (go-fdo
 * serviceinfo.KV; e.g. ["devmod:active", h'f5']). A long value may be split across several
 * consecutive pairs with the same key (see chunker.ts / reassembler.ts), so a pair's value is bytes.
 */
export interface ServiceInfoKv {
  key: string;
  /** CBOR bytes of the message body, or one piece of them. */
  value: Uint8Array;
}

export type ServiceInfo = ServiceInfoKv[];

/** Largest negotiated ServiceInfo size when the peer sends null (FDO 1.1 default MTU). */
export const DEFAULT_MAX_SERVICE_INFO_SIZE = 1300;

export function serviceInfoFromCbor(value: CborValue, what = 'ServiceInfo'): ServiceInfo {
  return asArray(value, what).map((kv, i) => {
    const [key, val] = asArray(kv, `${what}[${i}]`, 2);
    return { key: asText(key, `${what}[${i}].key`), value: asBytes(val, `${what}[${i}].value`) };
  });
}

export function serviceInfoToCbor(serviceInfo: ServiceInfo): CborValue {
  return serviceInfo.map((kv) => [kv.key, kv.value]);
}

/** The key of a module's message. */
export function serviceInfoKey(module: string, message: string): string {
  return `${module}:${message}`;
}

/** Splits "module:message" at the first colon; a key without one is a structural error. */
export function parseServiceInfoKey(
  key: string,
  what = 'ServiceInfo key',
): { module: string; message: string } {
  const colon = key.indexOf(':');
  if (colon <= 0) throw new CborError('unexpected-type', `${what}: "${key}" is not "module:message"`);
  return { module: key.slice(0, colon), message: key.slice(colon + 1) };
}

/** One pair carrying a whole message body. */
export function serviceInfoKv(module: string, message: string, body: CborValue): ServiceInfoKv {
  return { key: serviceInfoKey(module, message), value: encode(body) };
}

/** Decodes the body of a pair that carries a whole message (not a split piece). */
export function serviceInfoKvBody(kv: ServiceInfoKv): CborValue {
  try {
    return decode(kv.value);
  } catch (err) {
    if (err instanceof CborError) throw new CborError(err.code, `ServiceInfo "${kv.key}": ${err.message}`);
    throw err;
  }
}
