export * from './chunker';
export * from './cbor-item-length';
export * from './devmod';
export * from './reassembler';
export * from './service-info';
export * from './size';
