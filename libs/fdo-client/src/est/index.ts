export * from './est-client';
