export * from './sign1';
export * from './signer';
export * from './software-signer';
