import { type ModuleMetadata, type Type } from '@nestjs/common';
import { type JobProcessor } from '@ztp/queue';

/**
 * Every queue consumer, registered once. A new processor: an `@Injectable()` class implementing
 * `JobProcessor<Data, Result>` for its queue (queues are registered in libs/queue/src/queues.ts);
 * append it here, and the modules providing what it injects to WORKER_IMPORTS.
 */
export const PROCESSORS: Type<JobProcessor<unknown, unknown>>[] = [];

export const WORKER_IMPORTS: NonNullable<ModuleMetadata['imports']> = [];
