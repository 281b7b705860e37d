export * from './http-transport';
