import { ConfigError } from '@ztp/config';
import {
  BootstrapKeyConflictError,
  EmbeddedDatabaseBusyError,
  PendingMigrationsError,
} from '@ztp/persistence';

/**
 * Entry-point wrapper: a failed start prints one line saying what went wrong (bad configuration,
 * a busy port, an unreachable server, pending migrations...), never a stack trace, and exits with
 * 1. The stack of an unexpected error is printed only with LOG_LEVEL=debug or trace.
 */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(startupFailureLine(err));
    const level = process.env['LOG_LEVEL'];
    if (!isSelfExplaining(err) && (level === 'debug' || level === 'trace')) console.error(err);
    process.exit(1);
  });
}

/** A start-up refusal whose message says it all (no stack trace needed). */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

const SELF_EXPLAINING = [
  ConfigError,
  StartupError,
  PendingMigrationsError,
  EmbeddedDatabaseBusyError,
  BootstrapKeyConflictError,
];

function isSelfExplaining(err: unknown): err is Error {
  return SELF_EXPLAINING.some((type) => err instanceof type);
}

interface SystemError {
  readonly code?: unknown;
  readonly syscall?: unknown;
  readonly address?: unknown;
  readonly port?: unknown;
  readonly hostname?: unknown;
  readonly errors?: unknown;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
]);

/** The one line a failed start prints. */
export function startupFailureLine(err: unknown): string {
  if (isSelfExplaining(err)) return err.message;
  const system = (err ?? {}) as SystemError;
  // Node reports a connection tried on several addresses as an AggregateError; its parts name them.
  const first =
    (Array.isArray(system.errors) ? (system.errors[0] as SystemError | undefined) : undefined) ?? system;
  const code = typeof system.code === 'string' ? system.code : first.code;
  if (typeof code === 'string' && UNREACHABLE.has(code)) {
    const where = [first.hostname ?? first.address, first.port]
      .filter((part) => part !== undefined)
      .join(':');
    return (
      `Start-up failed: cannot reach ${where === '' ? 'a server' : where} (${code}); ` +
      'is the server named by DATABASE_URL or REDIS_URL running and reachable?'
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return `Start-up failed: ${message.split('\n')[0]} (LOG_LEVEL=debug prints the stack)`;
}
