/** Injection token of the process's `QueueBackend` (provided globally by the platform runtime). */
export const QUEUE_BACKEND = Symbol('QUEUE_BACKEND');
