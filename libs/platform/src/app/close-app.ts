import { type INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { type Server } from 'node:http';
import { drainHttpServer } from '../http/http-drain';
import { TlsListener } from '../tls/tls-listener';

/**
 * Closes an app the graceful way: its HTTP listeners (the app's port and its SZTP HTTPS listener)
 * are drained first, so requests in flight are answered before anything they need is torn down
 * (Nest's close() runs the providers' destroy hooks before it closes the HTTP server), bounded
 * by `drainTimeoutMs`; then the app is closed (queues, data source).
 */
export async function closeApp(app: INestApplication, drainTimeoutMs: number): Promise<void> {
  const options = { timeoutMs: drainTimeoutMs };
  await Promise.all([
    drainHttpServer(app.getHttpServer() as Server, options),
    ...tlsListenersOf(app).map((listener) => listener.drain(options)),
  ]);
  await app.close();
}

/**
 * What is left of SHUTDOWN_TIMEOUT_MS for draining HTTP once closing queues and the database has
 * been given its share (a quarter, at most 2 s).
 */
export function drainBudgetMs(shutdownTimeoutMs: number): number {
  return shutdownTimeoutMs - Math.min(2000, Math.floor(shutdownTimeoutMs / 4));
}

/**
 * Every extra HTTPS listener of the app (owner onboarding has two: SZTP and EST; voucher service
 * none). Found by walking the app's providers: `app.get` of a missing provider logs an error
 * through Nest's exception zone even when the caller catches it, and returns only one instance.
 */
function tlsListenersOf(app: INestApplication): TlsListener[] {
  const found = new Set<TlsListener>();
  for (const module of app.get(ModulesContainer).values())
    for (const wrapper of module.providers.values())
      if (wrapper.instance instanceof TlsListener) found.add(wrapper.instance);
  return [...found];
}
