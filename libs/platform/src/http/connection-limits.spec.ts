import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { limitConnections } from './connection-limits';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function listen(): Promise<number> {
  server = createServer({ connectionsCheckingInterval: 100 }, (req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  limitConnections(server, { headersMs: 600, requestMs: 1_200 });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Trickles `head` then endless `drip` bytes, one every 100 ms; resolves with what came back and when. */
function trickle(port: number, head: string, drip: string): Promise<{ answer: string; afterMs: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const timer = setInterval(() => socket.write(drip), 100);
    socket.on('data', (data: Buffer) => (answer += data.toString()));
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ answer, afterMs: performance.now() - started });
    });
    socket.on('error', () => undefined);
    socket.write(head);
  });
}

describe('limitConnections against slow-loris clients', () => {
  it('cuts a client trickling its headers at the headers timeout (408)', async () => {
    const port = await listen();
    const { answer, afterMs } = await trickle(port, 'GET / HTTP/1.1\r\nHost: x\r\n', 'X-A: b\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(afterMs).toBeGreaterThan(500);
    expect(afterMs).toBeLessThan(3_000);
  });

  it('cuts a client trickling its body at the request timeout (408)', async () => {
    const port = await listen();
    const { answer, afterMs } = await trickle(
      port,
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n',
      'a',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(afterMs).toBeGreaterThan(1_100);
    expect(afterMs).toBeLessThan(4_000);
  });
});
