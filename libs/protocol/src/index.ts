export * from './cbor';
export * from './fdo/constants';
