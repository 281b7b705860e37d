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
  private readonly unready = new WeakSet<Queue<unknown, unknown>>();

  constructor(@Inject(QUEUE_BACKEND) private readonly backend: QueueBackend) {}

  get<TData, TResult>(definition: QueueDefinition<TData, TResult>): Queue<TData, TResult> {
    let queue = this.queues.get(definition.name);
    if (queue === undefined || this.unready.has(queue)) {
      if (queue) void queue.close().catch(() => undefined);
      queue = this.create(definition);
      this.queues.set(definition.name, queue);
    }
    return queue as Queue<TData, TResult>;
  }

  private create(definition: QueueDefinition<unknown, unknown>): Queue<unknown, unknown> {
    const queue = this.backend.createQueue(definition) as Queue<unknown, unknown>;
    // A lost connection is reported by the add() that needed it; BullMQ also emits it here, and
    // with no listener it falls back to console.error with a stack on every reconnect attempt.
    queue.on('error', (err: Error) => this.logger.debug(`Queue ${definition.name}: ${err.message}`));
    // BullMQ's PostgreSQL queue keeps the outcome of its first connection: one made while the
    // database was unreachable fails every later add() with that old error, even once it is back.
    // Such a queue is replaced at the next get().
    queue.waitUntilReady().catch(() => this.unready.add(queue));
    return queue;
  }

  async onApplicationShutdown(): Promise<void> {
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(queues.map((queue) => queue.close()));
  }
}
