/**
 * SZTP (RFC 8572) protocol artifacts: RESTCONF payloads, conveyed information, CMS, RFC 8366
 * vouchers and RFC 9646 CSR structures. Pure: no I/O, no clock.
 */
export * from './binary';
export * from './bootstrap-server';
export * from './bootstrapping-data';
export * from './cms';
export * from './conveyed-info';
export * from './conveyed-info-cms';
export {
  checkCsrRequestAgainstSupport,
  CSR_FORMATS,
  encodeAlgorithmIdentifier,
  parseAlgorithmIdentifier,
  type AlgorithmIdentifierInfo,
  type CsrFormat,
  type CsrRequest,
  type CsrSubmission,
  type CsrSupport,
} from './csr';
export * from './errors';
export * from './keystore';
export * from './oids';
export * from './owner-certificate';
export * from './progress-type';
export * from './restconf-errors';
export * from './voucher';
export * from './voucher-cms';
export { parseXml, serializeXml, type XmlElement, type XmlOutputElement } from './xml/xml';
export { encodingForMediaType, mediaTypeFor, MediaType } from './yang/media-type';
export { Modules, type YangModule } from './yang/modules';
export { type Encoding, type ReadOptions } from './yang/reader';
