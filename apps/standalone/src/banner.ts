import { type AppConfig } from '@ztp/config';
import { type Standalone } from './launcher';

/** The human-readable "where is everything" block printed once all apps answer. */
export function startupBanner(config: AppConfig, standalone: Standalone, readyAfterSeconds: number): string {
  const database =
    config.database.kind === 'embedded'
      ? `embedded PostgreSQL server in ${config.database.dataDir}`
      : 'DATABASE_URL';
  const queues = config.queue.kind === 'redis' ? 'Redis (REDIS_URL)' : 'PostgreSQL';
  const width = Math.max(...standalone.apps.map((app) => app.descriptor.name.length));
  const lines = standalone.apps.map(({ descriptor, localUrl, publicUrl }) => {
    const name = descriptor.name.padEnd(width);
    const advertised = publicUrl === localUrl ? '' : `   public ${publicUrl}`;
    return `  ${name}  ${localUrl}   docs ${localUrl}/docs   metrics ${localUrl}/metrics${advertised}`;
  });
  return [
    '',
    `ZTP cloud onboarding: all apps and the queue worker in one process`,
    `  database: ${database}; queues: ${queues}`,
    ...lines,
    `Ready in ${readyAfterSeconds.toFixed(1)} s. Stop with Ctrl+C.`,
    '',
  ].join('\n');
}
