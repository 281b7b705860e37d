import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type Queue } from 'bullmq';
import { type QueueBackend } from '../queue-backend';
import { type QueueDefinition } from '../queue-definition';
import { QUEUE_BACKEND } from './tokens';

/**
 * The producer side: `jobQueues.get(TO0_REGISTER).add('register', data)`. Queues are created on
 * first use and closed when the app shuts down (after its HTTP server, before its database).
 */
@Injectable()
export class JobQueues implements OnApplicationShutdown {
  private readonly logger = new Logger('JobQueues');
  private readonly queues = new Map<string, Queue<unknown, unknown>>();

  constructor(@Inject(QUEUE_BACKEND) private readonly backend: QueueBackend) {}

  get<TData, TResult>(definition: QueueDefinition<TData, TResult>): Queue<TData, TResult> {
    let queue = this.queues.get(definition.name);
    if (queue === undefined) {
      queue = this.backend.createQueue(definition) as Queue<unknown, unknown>;
      // A lost connection is reported by the add() that needed it; BullMQ also emits it here, and
      // with no listener it falls back to console.error with a stack on every reconnect attempt.
      queue.on('error', (err: Error) => this.logger.debug(`Queue ${definition.name}: ${err.message}`));
      this.queues.set(definition.name, queue);
    }
    return queue as Queue<TData, TResult>;
  }

  async onApplicationShutdown(): Promise<void> {
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(queues.map((queue) => queue.close()));
  }
}
