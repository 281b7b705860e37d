export * from './render-bundles-queue';
export * from './render-bundles.processor';
