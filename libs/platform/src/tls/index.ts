export * from './client-certificate';
export * from './tls-listener';
