export * from './errors';
export * from './kex';
export * from './state';
export * from './types';
