export * from './clock';
export * from './key-custody.provider';
