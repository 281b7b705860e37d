export * from './after-commit';
export * from './api-key.entity';
export * from './assignment-rule.entity';
export * from './idempotency-record.entity';
export * from './transfer.entity';
export * from './webhook-delivery.entity';
export * from './webhook-endpoint.entity';
