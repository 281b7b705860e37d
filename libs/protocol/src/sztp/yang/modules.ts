/** YANG modules whose data SZTP exchanges, with their XML namespaces. */
export interface YangModule {
  readonly name: string;
  readonly namespace: string;
}

const module = (name: string): YangModule => ({ name, namespace: `urn:ietf:params:xml:ns:yang:${name}` });

export const Modules = {
  bootstrapServer: module('ietf-sztp-bootstrap-server'),
  conveyedInfo: module('ietf-sztp-conveyed-info'),
  sztpCsr: module('ietf-sztp-csr'),
  ztpTypes: module('ietf-ztp-types'),
  restconf: module('ietf-restconf'),
  voucher: module('ietf-voucher'),
  keystore: module('ietf-keystore'),
  cryptoTypes: module('ietf-crypto-types'),
} as const;

const BY_NAMESPACE = new Map(Object.values(Modules).map((m) => [m.namespace.toLowerCase(), m]));
const BY_NAME = new Map(Object.values(Modules).map((m) => [m.name, m]));

/**
 * Namespaces are matched case-insensitively: Arista's SZTP helper writes
 * `urn:ietf:params:xml:ns:yang:ietf-SZTP-bootstrap-server`, and URN namespace identifiers are
 * case-insensitive anyway.
 */
export function moduleByNamespace(namespace: string): YangModule | undefined {
  return BY_NAMESPACE.get(namespace.toLowerCase());
}

export function moduleByName(name: string): YangModule | undefined {
  return BY_NAME.get(name);
}
