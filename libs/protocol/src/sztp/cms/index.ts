export * from './algorithms';
export * from './certificate';
export * from './path';
export * from './signed-data';
export * from './signer';
