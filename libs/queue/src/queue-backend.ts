import { type Job, type Queue, type QueueEvents, type Worker } from 'bullmq';
import { type QueueDefinition } from './queue-definition';

export type JobHandler<TData, TResult> = (job: Job<TData, TResult>) => Promise<TResult>;

export interface WorkerOptions {
  /** Jobs processed at once by this worker. Default 1. */
  concurrency?: number;
}

/**
 * Where the queues live: Redis, or BullMQ's PostgreSQL backend. One per process, shared by every
 * app in it; it owns the shared connection. Close every queue, worker and event listener it made
 * before closing it.
 */
export interface QueueBackend {
  readonly kind: 'redis' | 'postgres';
  /** Where, without credentials, for logs. */
  readonly location: string;
  createQueue<TData, TResult>(definition: QueueDefinition<TData, TResult>): Queue<TData, TResult>;
  createWorker<TData, TResult>(
    definition: QueueDefinition<TData, TResult>,
    handler: JobHandler<TData, TResult>,
    options?: WorkerOptions,
  ): Worker<TData, TResult>;
  /**
   * A listener for a queue's events. Resolves once its cursor is fixed: it sees every event
   * published after that, however soon (BullMQ's own default can skip the first ones).
   */
  createQueueEvents(definition: QueueDefinition<unknown, unknown>): Promise<QueueEvents>;
  /** Resolves when the backend answers and its schema is usable; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
