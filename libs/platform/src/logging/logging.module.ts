import { type DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { type Logger } from 'pino';
import { type RequestWithId } from '../http/request-id';
import { redactQuery, redactUrl } from './root-logger';

/** Probes and scrapes would drown the request log. */
const UNLOGGED_PATHS = new Set(['/health', '/health/ready', '/metrics']);

/**
 * Request logging for one app (pino-http through nestjs-pino): one line per completed request,
 * and every line logged while handling it carries `app` and `requestId` (inject `PinoLogger`, or
 * use Nest's `Logger`, which goes through NestLoggerAdapter).
 */
@Module({})
export class LoggingModule {
  static forApp(root: Logger, app: string): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
          pinoHttp: {
            logger: root.child({ app }),
            quietReqLogger: true,
            // Headers are redacted by the root logger; a query string can carry credentials too.
            serializers: {
              req: (req: { url?: unknown; query?: unknown }) => ({
                ...req,
                url: typeof req.url === 'string' ? redactUrl(req.url) : req.url,
                query: redactQuery(req.query),
              }),
            },
            customAttributeKeys: { reqId: 'requestId' },
            genReqId: (req) => (req as RequestWithId).id ?? 'missing',
            autoLogging: { ignore: (req) => UNLOGGED_PATHS.has((req.url ?? '').split('?')[0] ?? '') },
            customLogLevel: (_req, res, err) =>
              err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
          },
        }),
      ],
    };
  }
}
