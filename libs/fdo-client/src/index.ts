export * from './http-transport';
export * from './to0';
export * from './to1';
export * from './to1-rendezvous-info';
export * from './di';
export * from './di-hash-alg';
export * from './device-credential';
export * from './device-credential-go-fdo';
