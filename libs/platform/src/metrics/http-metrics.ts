import { type IncomingMessage, type ServerResponse } from 'node:http';
import { Counter, Histogram, type Registry } from 'prom-client';

type RoutedRequest = IncomingMessage & { route?: { path?: string } };

/**
 * Nest registers route-wide middleware (e.g. the request logger) on this catch-all path; a request
 * whose last matched route is still it reached no handler.
 */
const MIDDLEWARE_CATCH_ALL = '/{*path}';

/**
 * Duration of every HTTP request, by route pattern (never the raw URL), method and status; and FDO
 * messages by type and result, since every FDO answer, error 255 included, is an HTTP 200.
 */
export class HttpMetrics {
  private readonly duration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly fdoMessages: Counter<'message_type' | 'fdo_error'>;

  constructor(registry: Registry) {
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Duration of HTTP requests in seconds, by route pattern, method and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.fdoMessages = new Counter({
      name: 'fdo_messages_total',
      help: 'FDO messages received, by message type and the FDO error code answered ("none": answered normally)',
      labelNames: ['message_type', 'fdo_error'],
      registers: [registry],
    });
  }

  /** One FDO message: its type when it is one this app serves (else "other"), and the error answered. */
  countFdoMessage(messageType: number | undefined, fdoError: number | undefined): void {
    this.fdoMessages.inc({
      message_type: messageType === undefined ? 'other' : String(messageType),
      fdo_error: fdoError === undefined ? 'none' : String(fdoError),
    });
  }

  /** Records one request handled outside Express (the FDO endpoint). */
  observe(method: string, route: string, statusCode: number, seconds: number): void {
    this.duration.observe({ method, route, status_code: statusCode }, seconds);
  }

  /** Express middleware; install before any other so body-parser rejections are counted too. */
  readonly middleware = (req: RoutedRequest, res: ServerResponse, next: () => void): void => {
    const end = this.duration.startTimer();
    res.once('finish', () => {
      // Unmatched requests share one label so random URLs cannot blow up the series count.
      const path = req.route?.path;
      const route = path === undefined || path === MIDDLEWARE_CATCH_ALL ? 'unmatched' : path;
      end({ method: req.method ?? 'UNKNOWN', route, status_code: res.statusCode });
    });
    next();
  };
}
