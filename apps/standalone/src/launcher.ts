import { type INestApplicationContext } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { type Logger } from 'pino';
import { type AppConfig } from '@ztp/config';
import {
  closeApp,
  drainBudgetMs,
  type AppDescriptor,
  createApp,
  assertPortsFree,
  createWorkerContext,
  listenApp,
  NestLoggerAdapter,
  type Runtime,
  startRuntime,
} from '@ztp/platform';
import { HOSTED_APPS, WORKER_MODULE } from './hosted-apps';

export interface HostedApp {
  readonly descriptor: AppDescriptor;
  /** Where it answers on this machine. */
  readonly localUrl: string;
  readonly publicUrl: string;
}

export interface Standalone {
  readonly apps: readonly HostedApp[];
  readonly runtime: Runtime;
  /** HTTP servers, then queues and data sources of each app and the worker, then the database. */
  stop(): Promise<void>;
}

/**
 * Everything in one process: the three apps on their three ports and the queue worker, sharing one
 * runtime (the embedded PostgreSQL server, or DATABASE_URL; queues on Redis or PostgreSQL). Migrates first.
 */
export async function startStandalone(config: AppConfig, logger: Logger): Promise<Standalone> {
  await assertPortsFree(
    HOSTED_APPS.map((descriptor) => ({ descriptor, port: descriptor.endpoint(config).port })),
    config.http.host,
  );
  const runtime = await startRuntime(config, logger, { migrate: true });
  const nestLogger = new NestLoggerAdapter(logger);
  const apps: NestExpressApplication[] = [];
  let worker: INestApplicationContext | undefined;
  const stop = async () => {
    try {
      const drainMs = drainBudgetMs(config.http.shutdownTimeoutMs);
      await Promise.all([...apps.map((app) => closeApp(app, drainMs)), worker?.close()]);
    } finally {
      await runtime.close();
    }
  };
  try {
    const hosted: HostedApp[] = [];
    for (const descriptor of HOSTED_APPS) {
      const app = await createApp(descriptor, runtime, nestLogger);
      apps.push(app);
      const { port, publicUrl } = descriptor.endpoint(config);
      await listenApp(app, descriptor, port, config.http.host);
      hosted.push({ descriptor, localUrl: `http://${localHost(config.http.host)}:${port}`, publicUrl });
    }
    worker = await createWorkerContext(runtime, WORKER_MODULE, nestLogger);
    return { apps: hosted, runtime, stop };
  } catch (err) {
    await stop().catch((stopErr: unknown) =>
      logger.error({ err: stopErr }, 'Stopping after a failed start failed'),
    );
    throw err;
  }
}

/** The address to browse to when the server listens on every interface. */
function localHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
