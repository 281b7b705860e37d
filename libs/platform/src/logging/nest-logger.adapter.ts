import { type LoggerService } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { type Logger } from 'pino';

/** Nest's start-up chatter (module loaded, route mapped) is debug, not info. */
const CHATTY_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory']);

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Nest's `LoggerService` on pino: inside a request it writes through that request's logger (with
 * `app` and `requestId`), elsewhere through the root logger. One instance serves every app of the
 * process (Nest's static `Logger` is process-wide anyway).
 */
export class NestLoggerAdapter implements LoggerService {
  // nestjs-pino keeps one process-wide logger for calls made outside a request and fixes it at the
  // first PinoLogger constructed: this one, built before any app, makes that the root logger.
  private readonly pino: PinoLogger;

  constructor(root: Logger) {
    this.pino = new PinoLogger({ pinoHttp: { logger: root } });
  }

  log(message: unknown, ...params: unknown[]) {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]) {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]) {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]) {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]) {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]) {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]) {
    // Nest passes the context last, and for errors a stack trace before it.
    const rest = [...params];
    const context = typeof rest.at(-1) === 'string' ? (rest.pop() as string) : undefined;
    const fields: Record<string, unknown> = context === undefined ? {} : { context };
    if (level === 'error' && typeof rest[0] === 'string') fields['stack'] = rest.shift();
    const effective =
      level === 'info' && context !== undefined && CHATTY_CONTEXTS.has(context) ? 'debug' : level;
    const logger = this.pino.logger;
    if (message instanceof Error) {
      logger[effective]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      logger[effective]({ ...fields, ...message });
    } else {
      logger[effective](fields, String(message));
    }
  }
}
