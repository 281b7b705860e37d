export * from './media-type';
export * from './modules';
export * from './reader';
export * from './tree';
