import { pino, type DestinationStream, type Logger } from 'pino';
import { type AppConfig } from '@ztp/config';

/** Request headers that carry a credential: never logged (DI stations send X-Station-Key). */
export const CREDENTIAL_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
  'x-station-key',
] as const;

/** Query parameters whose names say they carry a credential (none of ours do; clients may still send them). */
const CREDENTIAL_QUERY_PARAMETER =
  /token|key|secret|password|passwd|auth|signature|sig|code|session|credential/i;

/** `url` with the values of credential-bearing query parameters replaced, for logging. */
export function redactUrl(url: string): string {
  const query = url.indexOf('?');
  if (query < 0) return url;
  const params = url
    .slice(query + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return eq >= 0 && CREDENTIAL_QUERY_PARAMETER.test(name) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, query)}?${params.join('&')}`;
}

/** A parsed query (Express's `req.query`) with credential-bearing parameters' values replaced. */
export function redactQuery(query: unknown): unknown {
  if (query === null || typeof query !== 'object') return query;
  return Object.fromEntries(
    Object.entries(query).map(([name, value]) => [
      name,
      CREDENTIAL_QUERY_PARAMETER.test(name) ? '[redacted]' : value,
    ]),
  );
}

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
        paths: [...CREDENTIAL_HEADERS.map((name) => `req.headers["${name}"]`), 'res.headers["set-cookie"]'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
