import { type INestApplication } from '@nestjs/common';
import { type Server } from 'node:http';
import { companionsOf, drainHttpServer } from '../http/http-drain';

/**
 * Closes an app the graceful way: its HTTP listeners (the app's port and its SZTP HTTPS listener)
 * are drained first, so requests in flight are answered before anything they need is torn down
 * (Nest's close() runs the providers' destroy hooks before it closes the HTTP server), bounded
 * by `drainTimeoutMs`; then the app is closed (queues, data source).
 */
export async function closeApp(app: INestApplication, drainTimeoutMs: number): Promise<void> {
  const options = { timeoutMs: drainTimeoutMs };
  const main = app.getHttpServer() as Server;
  await Promise.all([main, ...companionsOf(main)].map((server) => drainHttpServer(server, options)));
  await app.close();
}

/**
 * What is left of SHUTDOWN_TIMEOUT_MS for draining HTTP once closing queues and the database has
 * been given its share (a quarter, at most 2 s).
 */
export function drainBudgetMs(shutdownTimeoutMs: number): number {
  return shutdownTimeoutMs - Math.min(2000, Math.floor(shutdownTimeoutMs / 4));
}
