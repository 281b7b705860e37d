import { pino, type DestinationStream, type Logger } from 'pino';
import { type AppConfig } from '@ztp/config';

/**
 * The process's one JSON logger. `service` names the process (an app, "worker" or "standalone");
 * request log lines add `app` and `requestId` (see LoggingModule).
 */
export function createRootLogger(
  config: Pick<AppConfig, 'logLevel'>,
  service: string,
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
