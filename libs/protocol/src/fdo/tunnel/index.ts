export * from './cipher-suites';
export * from './errors';
export * from './keys';
export * from './session';
