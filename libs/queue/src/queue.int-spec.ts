import { randomBytes } from 'node:crypto';
import { Global, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { type Job } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, QUEUE_SCHEMA, type TestDatabase } from '@ztp/persistence';
import {
  defineQueue,
  JobQueues,
  migrateQueueSchema,
  PostgresBackend,
  QUEUE_BACKEND,
  QueueModule,
  QueueWorkersModule,
  RedisBackend,
  type JobProcessor,
  type QueueBackend,
} from './index';

const SUM = defineQueue<{ numbers: number[] }, { sum: number }>('test.sum');

/** The contract every backend must honour: a job enqueued is processed once, its result returned. */
function behavesAsAQueue(backend: () => QueueBackend) {
  it('answers a ping', async () => {
    await expect(backend().ping()).resolves.toBeUndefined();
  });

  it('processes an enqueued job and returns its result', async () => {
    const queue = backend().createQueue(SUM);
    const events = await backend().createQueueEvents(SUM);
    const seen: string[] = [];
    const worker = backend().createWorker(SUM, async (job) => {
      seen.push(job.name);
      return { sum: job.data.numbers.reduce((a, b) => a + b, 0) };
    });
    try {
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady(), worker.waitUntilReady()]);
      const started = performance.now();
      const job = await queue.add('add-up', { numbers: [1, 2, 39] });
      await expect(job.waitUntilFinished(events, 10_000)).resolves.toEqual({ sum: 42 });
      expect(performance.now() - started).toBeLessThan(5000);
      expect(seen).toEqual(['add-up']);
    } finally {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('reports a failing job as failed with its reason', async () => {
    const failing = defineQueue<{ reason: string }, never>('test.fail');
    const queue = backend().createQueue(failing);
    const events = await backend().createQueueEvents(failing);
    const worker = backend().createWorker(failing, async (job) => {
      throw new Error(job.data.reason);
    });
    try {
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady(), worker.waitUntilReady()]);
      const job = await queue.add('explode', { reason: 'deliberate' });
      await expect(job.waitUntilFinished(events, 10_000)).rejects.toThrow('deliberate');
      expect(await queue.getJobState(job.id!)).toBe('failed');
    } finally {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
}

describe(`queues on BullMQ's PostgreSQL backend (${process.env['DATABASE_URL'] ? 'DATABASE_URL' : 'embedded PostgreSQL'})`, () => {
  let database: TestDatabase;
  let backend: PostgresBackend;

  beforeAll(async () => {
    database = await createTestDatabase();
    await migrateQueueSchema(database.url);
    backend = new PostgresBackend({ url: database.url });
  });
  afterAll(async () => {
    await backend?.close();
    await database?.drop();
  });

  behavesAsAQueue(() => backend);

  it('delivers an event whose NOTIFY it missed within about a second, not at the 10 s default poll', async () => {
    const silent = defineQueue<unknown, unknown>('test.silent');
    const events = await backend.createQueueEvents(silent);
    try {
      await events.waitUntilReady();
      // Let its read loop reach the NOTIFY wait, then write an event row without a NOTIFY: what a
      // consumer sees when the notification arrived before its handler was attached.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const seen = new Promise<string>((resolve) =>
        events.on('failed', ({ failedReason }) => resolve(failedReason)),
      );
      const started = performance.now();
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        await client.query(
          `INSERT INTO ${QUEUE_SCHEMA}.event (queue, event, data, created_at_ms) VALUES ($1, 'failed', $2, $3)`,
          [silent.name, { jobId: '1', failedReason: 'unannounced' }, Date.now()],
        );
      } finally {
        await client.end();
      }
      await expect(seen).resolves.toBe('unannounced');
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      await events.close();
    }
  });

  it('sees an event published the moment its listener exists (BullMQ resolves "$" too late)', async () => {
    const eager = defineQueue<unknown, unknown>('test.eager');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      for (let round = 0; round < 5; round++) {
        const events = await backend.createQueueEvents(eager);
        try {
          const seen = new Promise<string>((resolve) =>
            events.on('failed', ({ failedReason }) => resolve(failedReason)),
          );
          // Straight away, on a connection that is already open: before BullMQ's first read.
          await client.query(
            `INSERT INTO ${QUEUE_SCHEMA}.event (queue, event, data, created_at_ms) VALUES ($1, 'failed', $2, $3)`,
            [eager.name, { jobId: String(round), failedReason: `round ${round}` }, Date.now()],
          );
          const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('missed'), 3000));
          expect(await Promise.race([seen, timeout])).toBe(`round ${round}`);
        } finally {
          await events.close();
        }
      }
    } finally {
      await client.end();
    }
  });

  it('wires producers and processors into Nest', async () => {
    @Injectable()
    class SumProcessor implements JobProcessor<{ numbers: number[] }, { sum: number }> {
      readonly queue = SUM;
      async process(job: Job<{ numbers: number[] }, { sum: number }>) {
        return { sum: job.data.numbers.reduce((a, b) => a + b, 0) };
      }
    }
    @Global()
    @Module({ providers: [{ provide: QUEUE_BACKEND, useValue: backend }], exports: [QUEUE_BACKEND] })
    class BackendModule {}

    const moduleRef = await Test.createTestingModule({
      imports: [BackendModule, QueueModule, QueueWorkersModule.forProcessors([SumProcessor])],
    }).compile();
    const app = await moduleRef.init();
    const events = await backend.createQueueEvents(SUM);
    try {
      await events.waitUntilReady();
      const job = await app
        .get(JobQueues)
        .get(SUM)
        .add('via-nest', { numbers: [40, 2] });
      await expect(job.waitUntilFinished(events, 10_000)).resolves.toEqual({ sum: 42 });
    } finally {
      await events.close();
      await app.close();
    }
  });
});

describe.skipIf(!process.env['REDIS_URL'])('queues on Redis (REDIS_URL)', () => {
  let backend: RedisBackend;

  beforeAll(() => {
    // A prefix of its own, so parallel runs on one Redis never see each other's jobs.
    backend = new RedisBackend(process.env['REDIS_URL']!, `ztp-test-${randomBytes(4).toString('hex')}`);
  });
  afterAll(async () => {
    await backend?.close();
  });

  behavesAsAQueue(() => backend);
});
