import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FdoErrorReply, FdoHttpSession, FdoTransportError } from './http-transport';
import { createKeepAliveFetch } from './keep-alive-fetch';
import { encodeErrorMessage, newErrorMessage } from '@ztp/protocol';

describe('createKeepAliveFetch', () => {
  let server: Server;
  let base: string;
  const connections = new Set<unknown>();
  const seen: { url: string; headers: Record<string, unknown>; body: Buffer }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      connections.add(req.socket);
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({ url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
        if (req.url!.startsWith('/slow/')) return; // never answers
        if (req.url!.endsWith('/msg/62')) {
          res.setHeader('Message-Type', '255');
          res.end(encodeErrorMessage(newErrorMessage(1, 62, 'no session')));
          return;
        }
        res.setHeader('Message-Type', '31');
        res.setHeader('Authorization', 'Bearer t1');
        res.end(Buffer.concat(chunks).reverse());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('carries an FDO session: body, headers and token both ways, over one kept connection', async () => {
    const { fetch, close } = createKeepAliveFetch({ maxSockets: 1 });
    try {
      const session = new FdoHttpSession({ baseUrl: base, fetch });
      const first = await session.send(30, new Uint8Array([1, 2, 3]), 31);
      expect(first).toEqual({ type: 31, body: new Uint8Array([3, 2, 1]) });
      await session.send(32, new Uint8Array([4]), 31);
      expect(seen.at(-2)).toMatchObject({
        url: '/fdo/101/msg/30',
        headers: { 'content-type': 'application/cbor' },
      });
      expect(seen.at(-1)!.headers['authorization']).toBe('Bearer t1');
      expect(connections.size).toBe(1);
      await expect(session.send(62, new Uint8Array([5]))).rejects.toBeInstanceOf(FdoErrorReply);
    } finally {
      close();
    }
  });

  it('gives up when the session timeout fires', async () => {
    const { fetch, close } = createKeepAliveFetch();
    try {
      const session = new FdoHttpSession({ baseUrl: `${base}/slow`, fetch, timeoutMs: 100 });
      await expect(session.send(30, new Uint8Array([1]))).rejects.toBeInstanceOf(FdoTransportError);
    } finally {
      close();
    }
  });
});
