export * from './codec';
export * from './errors';
export * from './types';
