export * from './command';
export * from './csr';
export * from './device-module';
export * from './download';
export * from './sandbox';
export * from './standard-modules';
export * from './upload';
export * from './wget';
