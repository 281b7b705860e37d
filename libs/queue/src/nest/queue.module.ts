import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { JobQueues } from './job-queues';
import { QueueHealthIndicator } from './queue-health.indicator';

/**
 * Import where jobs are enqueued (`JobQueues`) or queue health is checked. Deliberately not
 * global: Nest shuts non-global modules down before global ones such as the TypeORM data source,
 * so queues close before the database. Needs `QUEUE_BACKEND`, which the platform provides.
 */
@Module({
  imports: [TerminusModule],
  providers: [JobQueues, QueueHealthIndicator],
  exports: [JobQueues, QueueHealthIndicator],
})
export class QueueModule {}
