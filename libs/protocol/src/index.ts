export * from './cbor';
export * from './fdo/constants';
export * from './crypto';
export * from './cose';
export * from './fdo/public-key';
export * from './fdo/guid';
export * from './fdo/voucher';
export * as sztp from './sztp';
