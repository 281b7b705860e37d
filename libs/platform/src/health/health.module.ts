import {
  Controller,
  Get,
  HttpStatus,
  Logger,
  Module,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheckService,
  TerminusModule,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { QueueHealthIndicator, QueueModule } from '@ztp/queue';

interface StatusResponse {
  status(code: number): unknown;
}

@ApiTags('platform')
@Controller('health')
class HealthController {
  private readonly logger = new Logger('Health');

  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly queue: QueueHealthIndicator,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Liveness: the process serves HTTP' })
  @ApiOkResponse({
    description: 'Alive',
    schema: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } },
  })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database and the queue backend answer' })
  @ApiOkResponse({ description: 'Ready (Terminus health check result)' })
  @ApiServiceUnavailableResponse({ description: 'Not ready; the body says which check failed' })
  async ready(@Res({ passthrough: true }) res: StatusResponse): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.database.pingCheck('database', { timeout: 2000 }),
        () => this.queue.isHealthy('queue'),
      ]);
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      // The Terminus result (which check failed, why) is the body probes and operators expect.
      const result = err.getResponse() as HealthCheckResult;
      this.logger.warn(`Not ready: ${JSON.stringify(result.error)}`);
      res.status(HttpStatus.SERVICE_UNAVAILABLE);
      return result;
    }
  }
}

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), QueueModule],
  controllers: [HealthController],
})
export class HealthModule {}
