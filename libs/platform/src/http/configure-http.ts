import { type NestExpressApplication } from '@nestjs/platform-express';
import { type Server } from 'node:http';
import { limitConnections, stopReadingAtLimit } from './connection-limits';
import { HttpMetrics } from '../metrics/http-metrics';
import { ProblemDetailsFilter } from './problem-details.filter';
import { requestIdMiddleware } from './request-id';

export interface HttpOptions {
  /** MAX_BODY_BYTES: larger bodies are refused with a 413 problem (FDO messages never reach here). */
  maxBodyBytes: number;
  /** Content types handed to handlers as raw bytes (a `Buffer` body). */
  rawBodyTypes?: readonly string[];
}

/**
 * The request pipeline every app shares, in this order: request id (so even a rejected body has
 * one), request timer, size-limited body parsers (JSON, plus raw bytes for the app's binary types),
 * and the RFC 7807 problem filter for everything that goes wrong; the server's connections are
 * limited (limitConnections: timeouts, nothing read after an early answer).
 * Create the app with `bodyParser: false`; the app module must include MetricsModule.
 */
export function configureHttp(app: NestExpressApplication, options: HttpOptions): void {
  limitConnections(app.getHttpServer() as Server);
  app.disable('x-powered-by');
  app.use(requestIdMiddleware);
  app.use(app.get(HttpMetrics).middleware);
  app.use(stopReadingAtLimit(options.maxBodyBytes, ['application/json', ...(options.rawBodyTypes ?? [])]));
  app.useBodyParser('json', { limit: options.maxBodyBytes });
  if (options.rawBodyTypes?.length) {
    app.useBodyParser('raw', { type: [...options.rawBodyTypes], limit: options.maxBodyBytes });
  }
  app.useGlobalFilters(new ProblemDetailsFilter());
}
