import { type Logger } from 'pino';

/**
 * Runs `stop` once on the first SIGINT or SIGTERM, bounded by `timeoutMs`: when it takes longer the
 * process exits with 1 anyway; a second signal exits at once. Exit code 0 after a clean stop.
 */
export function stopOnSignal(
  stop: () => Promise<void>,
  options: { timeoutMs: number; logger: Logger },
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.logger.warn({ signal }, 'Second signal: exiting without waiting');
      process.exit(130);
    }
    stopping = true;
    options.logger.info({ signal }, 'Stopping');
    const timer = setTimeout(() => {
      options.logger.error({ timeoutMs: options.timeoutMs }, 'Graceful stop timed out (SHUTDOWN_TIMEOUT_MS)');
      process.exit(1);
    }, options.timeoutMs);
    timer.unref();
    stop().then(
      () => {
        options.logger.info('Stopped');
        process.exit(0);
      },
      (err: unknown) => {
        options.logger.error({ err }, 'Graceful stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
