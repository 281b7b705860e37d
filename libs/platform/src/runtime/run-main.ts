import { ConfigError } from '@ztp/config';
import { EmbeddedDatabaseBusyError, PendingMigrationsError } from '@ztp/persistence';

/**
 * Entry-point wrapper: a refusal that explains itself (bad configuration, pending migrations, the
 * embedded database already open...) prints its message; anything else its stack. Exit code 1.
 */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(SELF_EXPLAINING.some((type) => err instanceof type) ? (err as Error).message : err);
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

const SELF_EXPLAINING = [ConfigError, StartupError, PendingMigrationsError, EmbeddedDatabaseBusyError];
