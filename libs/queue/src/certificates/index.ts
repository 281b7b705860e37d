export * from './certificate-queues';
