export * from './api-key.entity';
export * from './idempotency-record.entity';
