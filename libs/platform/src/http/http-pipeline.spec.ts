import {
  type ArgumentsHost,
  BadRequestException,
  Body,
  Catch,
  Controller,
  type ExceptionFilter,
  Get,
  HttpCode,
  Logger,
  Module,
  NotFoundException,
  Param,
  Post,
  UseFilters,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { PinoLogger } from 'nestjs-pino';
import { request as httpRequest, type Server } from 'node:http';
import { type AddressInfo, type Socket } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LoggingModule } from '../logging/logging.module';
import { NestLoggerAdapter } from '../logging/nest-logger.adapter';
import { createRootLogger } from '../logging/root-logger';
import { MetricsModule } from '../metrics/metrics.module';
import { configureHttp } from './configure-http';
import { ProblemException } from './problem-details';

type LogLine = Record<string, unknown> & { msg?: string; level?: string; requestId?: string };
const lines: LogLine[] = [];
const root = createRootLogger({ logLevel: 'debug' }, 'test', {
  write: (line: string) => lines.push(JSON.parse(line)),
});

@Controller('things')
class ThingsController {
  private readonly logger = new Logger('Things');
  constructor(private readonly pino: PinoLogger) {}

  @Get(':id')
  find(@Param('id') id: string) {
    this.logger.log(`looking up ${id}`);
    this.pino.info('through PinoLogger');
    if (id === 'missing') throw new NotFoundException(`Thing ${id} does not exist`);
    if (id === 'boom') throw new Error('connection string postgres://secret@db leaked');
    if (id === 'taken') {
      throw new ProblemException(409, {
        type: 'https://ztp.dev/problems/thing-taken',
        title: 'Thing already taken',
        detail: 'Thing taken belongs to another tenant',
        extensions: { owner: 'tenant-b', status: 999 },
      });
    }
    return { id };
  }

  @Post()
  @HttpCode(200)
  echo(@Body() body: unknown) {
    return body;
  }

  @Post('cbor')
  @HttpCode(200)
  cbor(@Body() body: unknown) {
    return { isBuffer: Buffer.isBuffer(body), length: (body as Buffer).length };
  }
}

/** Stands in for the FDO error filter: a route-scoped filter with its own format. */
@Catch()
class OwnFormatFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost) {
    host
      .switchToHttp()
      .getResponse<{ status(code: number): { json(body: unknown): void } }>()
      .status(500)
      .json({ own: (exception as Error).message });
  }
}

@Controller('fdo')
@UseFilters(OwnFormatFilter)
class OwnFormatController {
  @Post('fail')
  fail() {
    throw new BadRequestException('bad message');
  }
}

@Module({
  imports: [LoggingModule.forApp(root, 'test-app'), MetricsModule.forApp('test-app')],
  controllers: [ThingsController, OwnFormatController],
})
class TestAppModule {}

describe('the shared HTTP pipeline', () => {
  let app: NestExpressApplication;

  beforeAll(async () => {
    app = await NestFactory.create<NestExpressApplication>(TestAppModule, {
      bodyParser: false,
      logger: new NestLoggerAdapter(root),
      abortOnError: false,
    });
    configureHttp(app, { maxBodyBytes: 1024, rawBodyTypes: ['application/cbor'] });
    await app.init();
  });
  afterAll(() => app?.close());
  beforeEach(() => {
    lines.length = 0;
  });

  describe('request id', () => {
    it('echoes an incoming X-Request-Id and puts it on every log line of the request', async () => {
      const res = await request(app.getHttpServer()).get('/things/7').set('X-Request-Id', 'trace-7.a:b_c');
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toBe('trace-7.a:b_c');
      const ofRequest = lines.filter((line) => line.requestId === 'trace-7.a:b_c');
      expect(ofRequest.map((line) => line.msg)).toEqual(
        expect.arrayContaining(['looking up 7', 'through PinoLogger', 'request completed']),
      );
      expect(ofRequest.every((line) => line['app'] === 'test-app')).toBe(true);
      expect(lines.filter((line) => line.requestId === undefined)).toEqual([]);
    });

    it('never logs a credential: station key, API key, cookies, credential query parameters', async () => {
      const res = await request(app.getHttpServer())
        .get('/things/10?token=tok-SECRET-1&api_key=key-SECRET-2&access_token=at-SECRET-3&page=2')
        .set('X-Request-Id', 'redact-1')
        .set('X-Station-Key', 'station-SECRET-4')
        .set('X-Api-Key', 'ztp_SECRET-5')
        .set('Proxy-Authorization', 'Basic SECRET-6')
        .set('Authorization', 'Bearer SECRET-7')
        .set('Cookie', 'session=SECRET-8');
      expect(res.status).toBe(200);
      const logged = JSON.stringify(lines.filter((line) => line.requestId === 'redact-1'));
      expect(logged).toContain('request completed');
      expect(logged).toContain('page=2');
      expect(logged).not.toMatch(/SECRET/);
    });

    it('generates a UUID when none is sent', async () => {
      const res = await request(app.getHttpServer()).get('/things/8');
      expect(res.headers['x-request-id']).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    });

    it.each([['a b'], ['x'.repeat(129)], ['<script>']])('replaces an unusable one (%s)', async (incoming) => {
      const res = await request(app.getHttpServer()).get('/things/9').set('X-Request-Id', incoming);
      expect(res.headers['x-request-id']).not.toBe(incoming);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('RFC 7807 problems', () => {
    it('turns an HttpException into a problem with the request id', async () => {
      const res = await request(app.getHttpServer()).get('/things/missing').set('X-Request-Id', 'r-404');
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(JSON.parse(res.text)).toEqual({
        type: 'about:blank',
        title: 'Not Found',
        status: 404,
        detail: 'Thing missing does not exist',
        instance: '/things/missing',
        requestId: 'r-404',
      });
    });

    it('refuses a NUL (%00 in the URL, \\u0000 in a JSON string) with a 400 problem before any handler', async () => {
      for (const path of ['/things/a%00b', '/things/7?q=%00', '/nowhere%00']) {
        const res = await request(app.getHttpServer()).get(path);
        expect(res.status).toBe(400);
        expect(JSON.parse(res.text)).toMatchObject({ status: 400, detail: expect.stringMatching(/NUL/) });
      }
      expect(lines.filter((line) => line.msg === 'looking up a\u0000b')).toEqual([]);
      const body = await request(app.getHttpServer())
        .post('/things')
        .set('Content-Type', 'application/json')
        .send('{"name":{"deep":["ok","x\\u0000y"]}}');
      expect(body.status).toBe(400);
      expect(JSON.parse(body.text)).toMatchObject({ status: 400, detail: expect.stringMatching(/NUL/) });
    });

    it('answers an unknown route with a 404 problem', async () => {
      const res = await request(app.getHttpServer()).get('/nowhere?x=1').set('X-Request-Id', 'r-nowhere');
      expect(res.status).toBe(404);
      expect(JSON.parse(res.text)).toMatchObject({
        status: 404,
        instance: '/nowhere',
        requestId: 'r-nowhere',
      });
    });

    it('hides an unexpected error behind a 500 and logs its stack server-side only', async () => {
      const res = await request(app.getHttpServer()).get('/things/boom').set('X-Request-Id', 'r-500');
      expect(res.status).toBe(500);
      const problem = JSON.parse(res.text);
      expect(problem).toEqual({
        type: 'about:blank',
        title: 'Internal Server Error',
        status: 500,
        detail: 'An unexpected error occurred; quote the request id when reporting it.',
        instance: '/things/boom',
        requestId: 'r-500',
      });
      expect(res.text).not.toContain('secret');
      expect(res.text).not.toContain('.ts:');
      const logged = lines.find((line) => line.level === 'error' && line['context'] === 'ProblemDetails');
      expect(logged?.requestId).toBe('r-500');
      expect(JSON.stringify(logged?.['err'])).toContain('http-pipeline.spec.ts');
    });

    it('passes a ProblemException through, extensions never overriding standard members', async () => {
      const res = await request(app.getHttpServer()).get('/things/taken');
      expect(res.status).toBe(409);
      expect(JSON.parse(res.text)).toMatchObject({
        type: 'https://ztp.dev/problems/thing-taken',
        title: 'Thing already taken',
        status: 409,
        detail: 'Thing taken belongs to another tenant',
        owner: 'tenant-b',
      });
    });

    it('refuses a body over MAX_BODY_BYTES with a 413 problem', async () => {
      const res = await request(app.getHttpServer())
        .post('/things')
        .set('Content-Type', 'application/json')
        .set('X-Request-Id', 'r-413')
        .send(JSON.stringify({ blob: 'x'.repeat(2000) }));
      expect(res.status).toBe(413);
      expect(res.headers['x-request-id']).toBe('r-413');
      expect(JSON.parse(res.text)).toEqual({
        type: 'about:blank',
        title: 'Payload Too Large',
        status: 413,
        detail: 'The request body exceeds the limit of 1024 bytes.',
        instance: '/things',
        requestId: 'r-413',
      });
    });

    it('stops reading a chunked body far over the limit: 413, the connection closed, still serving', async () => {
      const server = app.getHttpServer() as Server;
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      let bytesRead = 0;
      server.once('connection', (socket: Socket) =>
        socket.once('close', () => (bytesRead = socket.bytesRead)),
      );
      try {
        // The client would send 512 MiB if let; a timer fails the test if the server never answers.
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        let written = 0;
        const status = await new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no answer within 20 s')), 20_000);
          const req = httpRequest(
            {
              port,
              host: '127.0.0.1',
              path: '/things',
              method: 'POST',
              headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
            },
            (res) => {
              res.resume();
              res.on('end', () => {
                clearTimeout(timer);
                resolve(res.statusCode!);
                req.destroy();
              });
            },
          );
          req.on('error', () => undefined);
          const pump = (): void => {
            while (written < 512 && !req.destroyed) {
              written++;
              if (!req.write(chunk)) return void req.once('drain', pump);
            }
            if (written >= 512) req.end();
          };
          pump();
        });
        expect(status).toBe(413);
        expect(written).toBeLessThan(64);
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        expect(bytesRead).toBeGreaterThan(0);
        expect(bytesRead).toBeLessThan(32 * 1024 * 1024);
        const next = await request(server).get('/things/t-1');
        expect(next.status).toBe(200);
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    }, 30_000);

    it('answers malformed JSON with a 400 problem', async () => {
      const res = await request(app.getHttpServer())
        .post('/things')
        .set('Content-Type', 'application/json')
        .send('{');
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ type: 'about:blank', title: 'Bad Request', status: 400 });
    });

    it('leaves routes with their own filter alone', async () => {
      const res = await request(app.getHttpServer()).post('/fdo/fail');
      expect(res.status).toBe(500);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ own: 'bad message' });
    });
  });

  it('parses JSON and hands the declared binary types over as raw bytes', async () => {
    const json = await request(app.getHttpServer()).post('/things').send({ a: 1 });
    expect(json.body).toEqual({ a: 1 });
    const cbor = await request(app.getHttpServer())
      .post('/things/cbor')
      .set('Content-Type', 'application/cbor')
      .send(Buffer.from([0x83, 0x01, 0x02, 0x03]));
    expect(cbor.body).toEqual({ isBuffer: true, length: 4 });
  });

  it('exposes Prometheus metrics with the request duration by route pattern', async () => {
    await request(app.getHttpServer()).get('/things/42');
    await request(app.getHttpServer()).get('/not/a/route');
    const res = await request(app.getHttpServer()).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.text).toContain('process_cpu_user_seconds_total{app="test-app"}');
    expect(res.text).toMatch(
      /http_request_duration_seconds_count\{app="test-app",method="GET",route="\/things\/:id",status_code="200"\} \d+/,
    );
    expect(res.text).toMatch(/route="unmatched",status_code="404"/);
    expect(res.text).not.toContain('/things/42');
  });
});
