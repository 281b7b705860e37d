import { type NestExpressApplication } from '@nestjs/platform-express';
import { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { limitConnections, stopReadingAtLimit } from './connection-limits';
import { HttpMetrics } from '../metrics/http-metrics';
import { ProblemDetailsFilter } from './problem-details.filter';
import { requestIdMiddleware } from './request-id';

/**
 * PostgreSQL text cannot hold U+0000: a NUL that reached a query was a 500 (`invalid byte sequence`).
 * No identifier, name or value of this API contains one, so it is refused at the edge as a 400.
 */
function refuseNulInUrl(req: IncomingMessage, _res: ServerResponse, next: (err?: unknown) => void): void {
  const url = req.url ?? '';
  if (/%00/i.test(url) || url.includes('\u0000')) {
    next(Object.assign(new Error('the request URL contains a NUL character (%00)'), { status: 400 }));
    return;
  }
  next();
}

function refuseNulInStrings(_key: string, value: unknown): unknown {
  if (typeof value === 'string' && value.includes('\u0000')) {
    throw new SyntaxError('a JSON string contains a NUL character (\\u0000)');
  }
  return value;
}

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
  app.use(refuseNulInUrl);
  app.use(stopReadingAtLimit(options.maxBodyBytes, ['application/json', ...(options.rawBodyTypes ?? [])]));
  app.useBodyParser('json', { limit: options.maxBodyBytes, reviver: refuseNulInStrings });
  if (options.rawBodyTypes?.length) {
    app.useBodyParser('raw', { type: [...options.rawBodyTypes], limit: options.maxBodyBytes });
  }
  app.useGlobalFilters(new ProblemDetailsFilter());
}
