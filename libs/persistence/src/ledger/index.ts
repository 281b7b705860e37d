export * from './audit-event.entity';
export * from './audit-log';
export * from './canonical-json';
export * from './device.entity';
export * from './postgres-sealed-key-store';
export * from './sealed-key.entity';
export * from './tenant.entity';
export * from './voucher.entity';
