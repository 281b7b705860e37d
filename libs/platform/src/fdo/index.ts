export * from './fdo-message-handler';
export * from './fdo-protocol-error';
export * from './fdo-endpoint';
