export * from './bundle-renderer';
export * from './fsim-messages';
export * from './owner-program';
export * from './plan-resolver';
export * from './render-program';
