import { type Job } from 'bullmq';
import { type QueueDefinition } from '../queue-definition';

/**
 * A queue consumer: an `@Injectable()` class (so it can inject use cases and repositories) that
 * implements this interface and is listed in apps/worker/src/processors.ts.
 */
export interface JobProcessor<TData, TResult> {
  readonly queue: QueueDefinition<TData, TResult>;
  /** Jobs processed at once by this process. Default 1. */
  readonly concurrency?: number;
  process(job: Job<TData, TResult>): Promise<TResult>;
}
