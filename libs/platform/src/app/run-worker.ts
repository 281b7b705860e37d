import { type DynamicModule, type Type } from '@nestjs/common';
import { loadConfig } from '@ztp/config';
import { NestLoggerAdapter } from '../logging/nest-logger.adapter';
import { createRootLogger } from '../logging/root-logger';
import { StartupError } from '../runtime/run-main';
import { startRuntime } from '../runtime/runtime';
import { stopOnSignal } from '../runtime/shutdown';
import { createWorkerContext } from './worker-context';
import { startWorkerProbes } from './worker-probes';

/** Runs the queue consumers alone. Needs DATABASE_URL (migrated); REDIS_URL is optional. */
export async function runWorker(workerModule: Type | DynamicModule): Promise<void> {
  const config = loadConfig();
  if (config.database.kind === 'embedded') {
    throw new StartupError(
      'The worker run on its own needs DATABASE_URL; `npm start` runs it with the apps on the embedded database',
    );
  }
  const logger = createRootLogger(config, 'worker');
  const runtime = await startRuntime(config, logger, { migrate: false });
  try {
    const context = await createWorkerContext(runtime, workerModule, new NestLoggerAdapter(logger));
    const probes = await startWorkerProbes(context, runtime.queueBackend, {
      port: config.http.workerPort,
      host: config.http.host,
    }).catch(async (err: unknown) => {
      await context.close();
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
        throw new StartupError(
          `WORKER_PORT ${config.http.workerPort} is in use: set WORKER_PORT to a free port`,
        );
      throw err;
    });
    logger.info({ port: config.http.workerPort }, 'worker started (/health, /health/ready, /metrics)');
    stopOnSignal(
      async () => {
        await probes.close();
        await context.close();
        await runtime.close();
      },
      { timeoutMs: config.http.shutdownTimeoutMs, logger },
    );
  } catch (err) {
    await runtime.close();
    throw err;
  }
}
