/**
 * CI guard: the integration tier must run against the real Postgres and Redis, so an unreachable
 * service is a failure here, never a silent skip.
 */
import { Redis } from 'ioredis';
import pg from 'pg';

const databaseUrl = process.env['DATABASE_URL'];
const redisUrl = process.env['REDIS_URL'];
if (!databaseUrl || !redisUrl) {
  console.error('check-services: DATABASE_URL and REDIS_URL must both be set');
  process.exit(1);
}

const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
try {
  await client.connect();
  const { rows } = await client.query<{ version: string }>('select version()');
  console.log(`check-services: Postgres reachable: ${rows[0]?.version}`);
} catch (err) {
  console.error(`check-services: Postgres at ${databaseUrl} unreachable: ${(err as Error).message}`);
  process.exit(1);
} finally {
  await client.end().catch(() => undefined);
}

const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000 });
try {
  await redis.connect();
  const info = await redis.info('server');
  console.log(`check-services: Redis reachable: ${/redis_version:(\S+)/.exec(info)?.[1]}`);
} catch (err) {
  console.error(`check-services: Redis at ${redisUrl} unreachable: ${(err as Error).message}`);
  process.exit(1);
} finally {
  redis.disconnect();
}
