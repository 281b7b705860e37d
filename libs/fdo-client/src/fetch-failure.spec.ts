import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { FdoHttpSession, FdoTransportError } from './http-transport';

describe('FDO transport failures name their cause', () => {
  it('says ECONNREFUSED and the address for a server that is down, not just "fetch failed"', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const session = new FdoHttpSession({ baseUrl: `http://127.0.0.1:${port}` });
    const failure = await session.send(10, new Uint8Array([0x80]), 11).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(FdoTransportError);
    expect((failure as Error).message).toBe(
      `POST http://127.0.0.1:${port}/fdo/101/msg/10 failed: fetch failed (ECONNREFUSED 127.0.0.1:${port})`,
    );
  });
});
