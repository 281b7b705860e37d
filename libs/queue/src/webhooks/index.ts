export * from './webhook-delivery.processor';
export * from './webhook-event-types';
export * from './webhook-events';
export * from './webhook-http';
export * from './webhook-queue';
export * from './webhook-secret';
export * from './webhook-signature';
export * from './webhooks.module';
