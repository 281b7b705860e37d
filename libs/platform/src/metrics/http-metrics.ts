import { type IncomingMessage, type ServerResponse } from 'node:http';
import { Counter, Histogram, type Registry } from 'prom-client';

type RoutedRequest = IncomingMessage & { route?: { path?: string }; params?: Record<string, string> };

/** The RESTCONF RPC route of both SZTP servers. */
const SZTP_RPC_ROUTE = '/restconf/operations/:operation';
const SZTP_RPCS = new Set([
  'ietf-sztp-bootstrap-server:get-bootstrapping-data',
  'ietf-sztp-bootstrap-server:report-progress',
]);

/** FDO message types (FDO 1.1): DI 10/12, TO1 30/32, TO2 60-70 (requests), 70 ends a TO2. */
const DI_MESSAGES = new Set([10, 12]);
const TO1_MESSAGES = new Set([30, 32]);
const TO2_DONE = 70;
const DI_DONE = 12;
const RESOURCE_NOT_FOUND = 6;

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
  private readonly onboardings: Counter<'protocol' | 'result'>;
  private readonly deviceInitializations: Counter<'result'>;
  private readonly to1NotFound: Counter;
  private readonly sztpRequests: Counter<'rpc' | 'result'>;

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
    this.onboardings = new Counter({
      name: 'ztp_onboardings_total',
      help: 'Onboarding attempts by protocol and result: FDO TO2 Done answered (succeeded), a TO2 message refused (failed); SZTP bootstrap-complete or a terminal error report',
      labelNames: ['protocol', 'result'],
      registers: [registry],
    });
    this.deviceInitializations = new Counter({
      name: 'ztp_device_initializations_total',
      help: 'FDO DI by result: DI.SetHMAC answered (succeeded), a DI message refused (failed)',
      labelNames: ['result'],
      registers: [registry],
    });
    this.to1NotFound = new Counter({
      name: 'ztp_to1_not_found_total',
      help: 'TO1 messages answered with error 6: no rendezvous registration in force for the GUID (before TO0, or never registered)',
      registers: [registry],
    });
    this.sztpRequests = new Counter({
      name: 'ztp_sztp_requests_total',
      help: 'SZTP RESTCONF RPCs by RPC and result (ok, or the HTTP status of the RESTCONF error)',
      labelNames: ['rpc', 'result'],
      registers: [registry],
    });
  }

  /** An SZTP onboarding outcome (from a progress report). */
  countSztpOnboarding(result: 'succeeded' | 'failed'): void {
    this.onboardings.inc({ protocol: 'sztp', result });
  }

  /** One FDO message: its type when it is one this app serves (else "other"), and the error answered. */
  countFdoMessage(messageType: number | undefined, fdoError: number | undefined): void {
    this.fdoMessages.inc({
      message_type: messageType === undefined ? 'other' : String(messageType),
      fdo_error: fdoError === undefined ? 'none' : String(fdoError),
    });
    if (messageType === undefined) return;
    if (messageType >= 60 && messageType <= TO2_DONE) {
      if (fdoError !== undefined) this.onboardings.inc({ protocol: 'fdo', result: 'failed' });
      else if (messageType === TO2_DONE) this.onboardings.inc({ protocol: 'fdo', result: 'succeeded' });
    } else if (DI_MESSAGES.has(messageType)) {
      if (fdoError !== undefined) this.deviceInitializations.inc({ result: 'failed' });
      else if (messageType === DI_DONE) this.deviceInitializations.inc({ result: 'succeeded' });
    } else if (TO1_MESSAGES.has(messageType) && fdoError === RESOURCE_NOT_FOUND) this.to1NotFound.inc();
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
      if (route === SZTP_RPC_ROUTE) {
        const operation = req.params?.['operation'] ?? '';
        this.sztpRequests.inc({
          rpc: SZTP_RPCS.has(operation) ? operation.replace('ietf-sztp-bootstrap-server:', '') : 'other',
          result: res.statusCode < 400 ? 'ok' : String(res.statusCode),
        });
      }
    });
    next();
  };
}
