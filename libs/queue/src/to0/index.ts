export * from './to0-queues';
