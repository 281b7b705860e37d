import { connect, createServer, type Server } from 'node:net';
import { ConfigError } from '@ztp/config';
import { afterEach, describe, expect, it } from 'vitest';
import { startupFailureLine, StartupError } from './run-main';

async function listening(): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** The error a real connection to a closed local port fails with. */
async function refusedConnection(): Promise<{ err: unknown; port: number }> {
  const server = await listening();
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  const err = await new Promise((resolve) => connect(port, '127.0.0.1').on('error', resolve));
  return { err, port };
}

describe('startupFailureLine', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('prints a self-explaining refusal as its message alone', () => {
    expect(startupFailureLine(new ConfigError(['RENDEZVOUS_PORT must differ']))).toBe(
      'Invalid configuration: RENDEZVOUS_PORT must differ',
    );
    expect(startupFailureLine(new StartupError('rendezvous cannot listen'))).toBe('rendezvous cannot listen');
  });

  it('names the address of a server that refused the connection, in one line', async () => {
    const { err, port } = await refusedConnection();
    const line = startupFailureLine(err);
    expect(line).toBe(
      `Start-up failed: cannot reach 127.0.0.1:${port} (ECONNREFUSED); ` +
        'is the server named by DATABASE_URL or REDIS_URL running and reachable?',
    );
  });

  it('reads the address from the parts of an AggregateError (a host with several addresses)', async () => {
    const { err, port } = await refusedConnection();
    const aggregate = Object.assign(new AggregateError([err, err]), { code: 'ECONNREFUSED' });
    expect(startupFailureLine(aggregate)).toContain(`cannot reach 127.0.0.1:${port} (ECONNREFUSED)`);
  });

  it('keeps anything else to the first line of its message, without the stack', () => {
    const err = new TypeError('boom\nsecond line');
    const line = startupFailureLine(err);
    expect(line).toBe('Start-up failed: boom (LOG_LEVEL=debug prints the stack)');
    expect(line).not.toContain('\n');
  });
});
