export * from './cert-chain';
export * from './constant-time';
export * from './errors';
export * from './fdo-hash';
export * from './hash';
export * from './keys';
export * from './pem';
export * from './signature';
