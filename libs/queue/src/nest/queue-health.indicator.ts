import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { type QueueBackend } from '../queue-backend';
import { QUEUE_BACKEND } from './tokens';

/** Readiness of the queue backend, for `HealthCheckService.check([() => indicator.isHealthy()])`. */
@Injectable()
export class QueueHealthIndicator {
  constructor(
    @Inject(QUEUE_BACKEND) private readonly backend: QueueBackend,
    private readonly health: HealthIndicatorService,
  ) {}

  async isHealthy(key = 'queue') {
    const indicator = this.health.check(key);
    try {
      await this.backend.ping();
      return indicator.up({ backend: this.backend.kind });
    } catch (err) {
      return indicator.down({ backend: this.backend.kind, message: (err as Error).message });
    }
  }
}
