import { type INestApplication } from '@nestjs/common';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StartupError } from '../runtime/run-main';
import { type AppDescriptor } from './app-descriptor';
import { listenApp } from './listen';

const DESCRIPTOR = { name: 'voucher-service' } as AppDescriptor;

/** An app whose listen() is a real net.Server's, so the failure is the one Node raises. */
function appOn(server: Server): INestApplication {
  return {
    listen: (port: number, host: string) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, resolve);
      }),
  } as unknown as INestApplication;
}

describe('listenApp', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(
      servers
        .splice(0)
        .map((server) => new Promise((resolve) => (server.listening ? server.close(resolve) : resolve(0)))),
    );
  });

  it('turns a busy port into one line naming the variable that sets it', async () => {
    const taken = createServer();
    servers.push(taken);
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    const second = createServer();
    servers.push(second);
    const failure = listenApp(appOn(second), DESCRIPTOR, port, '127.0.0.1');
    await expect(failure).rejects.toBeInstanceOf(StartupError);
    await expect(failure).rejects.toThrow(
      `voucher-service cannot listen on 127.0.0.1:${port}: the port is already in use by another process ` +
        '(set VOUCHER_SERVICE_PORT or HOST)',
    );
  });

  it('listens when the port is free', async () => {
    const server = createServer();
    servers.push(server);
    await listenApp(appOn(server), DESCRIPTOR, 0, '127.0.0.1');
    expect(server.listening).toBe(true);
  });
});
