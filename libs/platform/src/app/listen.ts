import { createServer } from 'node:net';
import { type INestApplication } from '@nestjs/common';
import { StartupError } from '../runtime/run-main';
import { type AppDescriptor } from './app-descriptor';

/**
 * Starts an app's HTTP server; a port that is taken or not allowed becomes a StartupError naming
 * the variable that sets it, so the operator sees one line instead of a listen() stack.
 */
export async function listenApp(
  app: INestApplication,
  descriptor: AppDescriptor,
  port: number,
  host: string,
): Promise<void> {
  try {
    await app.listen(port, host);
  } catch (err) {
    throw listenFailure(err, descriptor, port, host);
  }
}

/**
 * Binds and releases each app's port before anything slow starts (the database, migrations, the
 * demo seed), so a port conflict is one line within a second instead of after the whole start-up.
 * listenApp still maps a port taken in between.
 */
export async function assertPortsFree(
  apps: readonly { descriptor: Pick<AppDescriptor, 'name'>; port: number }[],
  host: string,
): Promise<void> {
  for (const { descriptor, port } of apps) {
    if (port === 0) continue;
    const probe = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.listen({ port, host, exclusive: true }, resolve);
      });
    } catch (err) {
      throw listenFailure(err, descriptor, port, host);
    } finally {
      if (probe.listening) await new Promise((resolve) => probe.close(resolve));
    }
  }
}

function listenFailure(err: unknown, descriptor: Pick<AppDescriptor, 'name'>, port: number, host: string) {
  const code = (err as { code?: unknown }).code;
  const variable = `${descriptor.name.toUpperCase().replace(/-/g, '_')}_PORT`;
  const reason = LISTEN_FAILURES[String(code)];
  if (reason === undefined) return err;
  return new StartupError(
    `${descriptor.name} cannot listen on ${host}:${port}: ${reason} (set ${variable} or HOST)`,
  );
}

const LISTEN_FAILURES: Record<string, string> = {
  EADDRINUSE: 'the port is already in use by another process',
  EACCES: 'this user may not bind that port',
  EADDRNOTAVAIL: 'that address is not on this machine',
};
