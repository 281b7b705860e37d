export * from './sztp-device';
export * from './sztp-device-error';
export * from './sztp-transport';
