import { loadConfig } from '@ztp/config';
import { NestLoggerAdapter } from '../logging/nest-logger.adapter';
import { createRootLogger } from '../logging/root-logger';
import { StartupError } from '../runtime/run-main';
import { startRuntime } from '../runtime/runtime';
import { stopOnSignal } from '../runtime/shutdown';
import { type AppDescriptor } from './app-descriptor';
import { closeApp, drainBudgetMs } from './close-app';
import { createApp } from './create-app';
import { assertPortsFree, listenApp } from './listen';

/**
 * Runs one app alone (production: one app per container, scaled horizontally). Needs DATABASE_URL,
 * migrated beforehand (`npm run migrate`); REDIS_URL is optional.
 */
export async function runApp(descriptor: AppDescriptor): Promise<void> {
  const config = loadConfig();
  if (config.database.kind === 'embedded') {
    throw new StartupError(
      `${descriptor.name} run on its own needs DATABASE_URL (PostgreSQL shared with the other apps); ` +
        'for everything in one process on the embedded database use `npm start`',
    );
  }
  const logger = createRootLogger(config, descriptor.name);
  const { port, publicUrl } = descriptor.endpoint(config);
  await assertPortsFree([{ descriptor, port }], config.http.host);
  const runtime = await startRuntime(config, logger, { migrate: false });
  try {
    const app = await createApp(descriptor, runtime, new NestLoggerAdapter(logger));
    await listenApp(app, descriptor, port, config.http.host);
    logger.info({ port, host: config.http.host, publicUrl }, `${descriptor.name} listening`);
    stopOnSignal(
      async () => {
        await closeApp(app, drainBudgetMs(config.http.shutdownTimeoutMs));
        await runtime.close();
      },
      { timeoutMs: config.http.shutdownTimeoutMs, logger },
    );
  } catch (err) {
    await runtime.close();
    throw err;
  }
}
