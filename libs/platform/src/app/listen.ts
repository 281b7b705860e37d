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
    const code = (err as { code?: unknown }).code;
    const variable = `${descriptor.name.toUpperCase().replace(/-/g, '_')}_PORT`;
    const reason = LISTEN_FAILURES[String(code)];
    if (reason === undefined) throw err;
    throw new StartupError(
      `${descriptor.name} cannot listen on ${host}:${port}: ${reason} (set ${variable} or HOST)`,
    );
  }
}

const LISTEN_FAILURES: Record<string, string> = {
  EADDRINUSE: 'the port is already in use by another process',
  EACCES: 'this user may not bind that port',
  EADDRNOTAVAIL: 'that address is not on this machine',
};
