export * from './sign1';
export * from './signer';
export * from './software-signer';
export * from './encrypt0';
export * from './mac0';
