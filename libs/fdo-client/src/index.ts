export * from './http-transport';
export * from './to0';
export * from './to1';
export * from './to1-rendezvous-info';
