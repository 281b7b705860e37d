import { ConfigError } from '@ztp/config';

/**
 * Entry-point wrapper: a bad configuration prints its one-line message; anything else that stops
 * the start prints its stack. Either way the exit code is 1.
 */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError || err instanceof StartupError) console.error(err.message);
    else console.error(err);
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
