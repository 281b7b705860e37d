import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeErrorMessage, ErrorCode, MAX_MESSAGE_SIZE, MessageType } from '@ztp/protocol';
import { HttpMetrics } from '../metrics/http-metrics';
import { FdoEndpoint, installFdoEndpoint } from './fdo-endpoint';
import { type FdoMessageHandler, type FdoRequest } from './fdo-message-handler';
import { FdoProtocolError } from './fdo-protocol-error';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One raw HTTP exchange (no fetch: the tests set Content-Length and chunking themselves). */
function send(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: Uint8Array | Uint8Array[] } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { port, host: '127.0.0.1', path, method: options.method ?? 'POST', headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    const parts = Array.isArray(options.body) ? options.body : options.body ? [options.body] : [];
    for (const part of parts) req.write(part);
    req.end();
  });
}

const cbor = { 'content-type': 'application/cbor' };

describe('FdoEndpoint in front of an app', () => {
  const received: FdoRequest[] = [];
  const logLines: { level: string; msg: string; requestId?: string; fdoError?: number }[] = [];
  const registry = new Registry();
  let server: Server;
  let port: number;
  let maxBytesRead = 0;

  const echo: FdoMessageHandler = async (request) => {
    received.push(request);
    return { type: request.type + 1, body: request.body, token: 'session-token' };
  };
  const failing: FdoMessageHandler = async () => {
    throw new Error('database on fire at /secret/path');
  };
  const refusing: FdoMessageHandler = async () => {
    throw FdoProtocolError.badToken('no such session');
  };
  const deliberate500: FdoMessageHandler = async () => {
    throw new FdoProtocolError(ErrorCode.InternalServerError, 'configuration delivery failed: exit code 3');
  };

  beforeAll(async () => {
    const logger = pino({ level: 'debug' }, { write: (line: string) => logLines.push(JSON.parse(line)) });
    const endpoint = new FdoEndpoint(
      new Map([
        [30, echo],
        [62, failing],
        [64, refusing],
        [66, deliberate500],
      ]),
      logger,
      new HttpMetrics(registry),
      { maxBodyBytes: 1024 * 1024 },
    );
    server = createServer((_req, res) => {
      res.statusCode = 404;
      res.end('app');
    });
    installFdoEndpoint(server, endpoint);
    server.on('connection', (socket) =>
      socket.once('close', () => (maxBytesRead = Math.max(maxBytesRead, socket.bytesRead))),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    received.length = 0;
    logLines.length = 0;
  });

  it('hands the handler the exact body, token and peer, and answers with the reply type and token', async () => {
    const body = new Uint8Array([0x82, 0x50, 1, 2, 3]);
    const answer = await send(port, '/fdo/101/msg/30', {
      headers: { ...cbor, authorization: 'Bearer abc.def', 'x-request-id': 'req-1' },
      body,
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['message-type']).toBe('31');
    expect(answer.headers['authorization']).toBe('Bearer session-token');
    expect(answer.headers['content-type']).toBe('application/cbor');
    expect(answer.headers['x-request-id']).toBe('req-1');
    expect([...answer.body]).toEqual([...body]);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      type: 30,
      token: 'abc.def',
      requestId: 'req-1',
      remoteAddress: '127.0.0.1',
    });
    expect([...received[0]!.body]).toEqual([...body]);
  });

  it('joins a body sent in several chunks', async () => {
    const answer = await send(port, '/fdo/101/msg/30', {
      headers: { ...cbor, 'transfer-encoding': 'chunked' },
      body: [new Uint8Array([1, 2]), new Uint8Array([3]), new Uint8Array([4, 5])],
    });
    expect([...answer.body]).toEqual([1, 2, 3, 4, 5]);
  });

  it('gives every request an id when the caller sends none (or an unusable one)', async () => {
    const plain = await send(port, '/fdo/101/msg/30', { headers: cbor, body: new Uint8Array([1]) });
    expect(plain.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const odd = await send(port, '/fdo/101/msg/30', {
      headers: { ...cbor, 'x-request-id': 'has spaces' },
      body: new Uint8Array([1]),
    });
    expect(odd.headers['x-request-id']).not.toBe('has spaces');
  });

  it.each([
    [
      'a declared Content-Length',
      { 'content-length': String(MAX_MESSAGE_SIZE + 1) },
      [new Uint8Array(MAX_MESSAGE_SIZE + 1)],
    ],
    ['a chunked body', { 'transfer-encoding': 'chunked' }, [new Uint8Array(40_000), new Uint8Array(40_000)]],
  ])(
    'refuses a body over the FDO message size (%s) with message 255, code 100',
    async (_name, headers, body) => {
      const answer = await send(port, '/fdo/101/msg/30', { headers: { ...cbor, ...headers }, body });
      expect(answer.status).toBe(200);
      expect(answer.headers['message-type']).toBe(String(MessageType.Error));
      const error = decodeErrorMessage(answer.body);
      expect(error.code).toBe(ErrorCode.MessageBodyError);
      expect(error.prevMsgType).toBe(30);
      expect(error.message).toContain('exceeds 65535');
      expect(received).toHaveLength(0);
    },
  );

  it('stops reading a chunked body far over the limit: answers 255, closes, and keeps serving', async () => {
    // The client would send 512 MiB if let; the server must answer after about the limit and close.
    const chunk = new Uint8Array(1024 * 1024);
    const total = 512;
    let written = 0;
    const answer = await new Promise<Answer>((resolve, reject) => {
      const req = request(
        {
          port,
          host: '127.0.0.1',
          path: '/fdo/101/msg/30',
          method: 'POST',
          headers: { ...cbor, 'transfer-encoding': 'chunked' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) });
            req.destroy();
          });
        },
      );
      req.on('error', (err) => (written < total ? undefined : reject(err)));
      const pump = (): void => {
        while (written < total && !req.destroyed) {
          written++;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (written >= total) req.end();
      };
      pump();
    });
    expect(answer.headers['message-type']).toBe(String(MessageType.Error));
    expect(answer.headers['connection']).toBe('close');
    expect(decodeErrorMessage(answer.body).code).toBe(ErrorCode.MessageBodyError);
    expect(written).toBeLessThan(64);
    expect(maxBytesRead).toBeLessThan(32 * 1024 * 1024);
    expect(received).toHaveLength(0);
    const next = await send(port, '/fdo/101/msg/30', { headers: cbor, body: new Uint8Array([7]) });
    expect([...next.body]).toEqual([7]);
  });

  it.each([
    ['an unserved message type', '/fdo/101/msg/99', cbor, 'not served here'],
    ['a type that is not a number', '/fdo/101/msg/abc', cbor, 'not served here'],
    ['another content type', '/fdo/101/msg/30', { 'content-type': 'application/json' }, 'Content-Type'],
  ])('answers %s with message 255, code 100', async (_name, path, headers, reason) => {
    const answer = await send(port, path, { headers, body: new Uint8Array([1]) });
    expect(answer.headers['message-type']).toBe('255');
    const error = decodeErrorMessage(answer.body);
    expect(error.code).toBe(ErrorCode.MessageBodyError);
    expect(error.message).toContain(reason);
    expect(received).toHaveLength(0);
  });

  it('answers an empty body with code 100', async () => {
    const answer = await send(port, '/fdo/101/msg/30', { headers: { ...cbor, 'content-length': '0' } });
    expect(decodeErrorMessage(answer.body).code).toBe(ErrorCode.MessageBodyError);
  });

  it("passes a handler's protocol error on, logged as a refusal with the request id", async () => {
    const answer = await send(port, '/fdo/101/msg/64', {
      headers: { ...cbor, 'x-request-id': 'req-64' },
      body: new Uint8Array([1]),
    });
    const error = decodeErrorMessage(answer.body);
    expect(error.code).toBe(ErrorCode.InvalidJwtToken);
    expect(error.prevMsgType).toBe(64);
    expect(logLines).toContainEqual(
      expect.objectContaining({ level: 40, msg: 'FDO request refused', requestId: 'req-64', fdoError: 1 }),
    );
  });

  it('hides an unexpected failure behind code 500 and logs it with its correlation id', async () => {
    const answer = await send(port, '/fdo/101/msg/62', { headers: cbor, body: new Uint8Array([1]) });
    const error = decodeErrorMessage(answer.body);
    expect(error.code).toBe(ErrorCode.InternalServerError);
    expect(error.message).toBe('internal error');
    expect(answer.body.toString('latin1')).not.toContain('/secret/path');
    const logged = logLines.find((line) => line.msg === 'FDO internal error') as unknown as {
      correlationId: number;
      err: { message: string };
    };
    expect(logged.err.message).toContain('database on fire');
    expect(BigInt(logged.correlationId)).toBe(error.correlationId);
  });

  it('logs a 500 the server chose (no underlying exception) as a refusal, not an internal error', async () => {
    const answer = await send(port, '/fdo/101/msg/66', { headers: cbor, body: new Uint8Array([1]) });
    const error = decodeErrorMessage(answer.body);
    expect(error.code).toBe(ErrorCode.InternalServerError);
    expect(error.message).toBe('configuration delivery failed: exit code 3');
    expect(logLines).toContainEqual(
      expect.objectContaining({ level: 40, msg: 'FDO request refused', fdoError: 500 }),
    );
    expect(logLines.some((line) => line.msg === 'FDO internal error')).toBe(false);
  });

  it("leaves every other request to the app's own listener", async () => {
    expect((await send(port, '/fdo/101/msg/30', { method: 'GET' })).body.toString()).toBe('app');
    expect(
      (await send(port, '/fdo/101/msg', { headers: cbor, body: new Uint8Array([1]) })).body.toString(),
    ).toBe('app');
    expect((await send(port, '/health', { method: 'GET' })).body.toString()).toBe('app');
    expect(received).toHaveLength(0);
  });

  it('counts FDO requests in the request-duration histogram under one route label', async () => {
    await send(port, '/fdo/101/msg/30', { headers: cbor, body: new Uint8Array([1]) });
    const metrics = await registry.metrics();
    expect(metrics).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/fdo\/101\/msg\/:type",status_code="200"\} [1-9]/,
    );
    expect(metrics).not.toContain('route="/fdo/101/msg/30"');
  });
});
