import { type ServerResponse } from 'node:http';
import { Controller, Get, Inject, Module, Res, type DynamicModule } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { KEY_CUSTODY_OPERATIONS } from '../ports/metered-key-custody';
import { HttpMetrics } from './http-metrics';

/** The app's own Prometheus registry: three apps in one process keep three separate sets. */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');

@ApiTags('platform')
@Controller('metrics')
class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Get()
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format 0.0.4)' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Metrics in the Prometheus text format', schema: { type: 'string' } })
  async metrics(@Res() res: ServerResponse): Promise<void> {
    const body = await this.registry.metrics();
    // Written directly: Express would reorder the content-type parameters.
    res.setHeader('Content-Type', this.registry.contentType);
    res.end(body);
  }
}

@Module({})
export class MetricsModule {
  /** Process metrics (prom-client defaults) and the HTTP histogram, labelled with `app`. */
  static forApp(app: string): DynamicModule {
    return {
      module: MetricsModule,
      controllers: [MetricsController],
      providers: [
        {
          provide: METRICS_REGISTRY,
          useFactory: () => {
            const registry = new Registry();
            registry.setDefaultLabels({ app });
            collectDefaultMetrics({ register: registry });
            // Process-wide: one key custody serves every app of the process.
            registry.registerMetric(KEY_CUSTODY_OPERATIONS);
            return registry;
          },
        },
        {
          provide: HttpMetrics,
          useFactory: (registry: Registry) => new HttpMetrics(registry),
          inject: [METRICS_REGISTRY],
        },
      ],
      exports: [METRICS_REGISTRY, HttpMetrics],
    };
  }
}
