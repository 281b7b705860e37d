import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { type INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import {
  createTestDatabase,
  PersistenceModule,
  TenantEntity,
  type TestDatabase,
  WebhookDeliveryEntity,
  WebhookEndpointEntity,
} from '@ztp/persistence';
import { PostgresBackend } from '../backends/postgres-backend';
import { RedisBackend } from '../backends/redis-backend';
import { QUEUE_BACKEND } from '../nest/tokens';
import { QueueWorkersModule } from '../nest/queue-workers.module';
import { type QueueBackend } from '../queue-backend';
import { migrateQueueSchema } from '../queue-schema';
import { WebhookDeliveryProcessor } from './webhook-delivery.processor';
import { WEBHOOK_JOB_OPTIONS, WebhookEvents } from './webhook-events';
import { WEBHOOK_RESOLVER, type WebhookResolver } from './webhook-http';
import { generateWebhookSecret, sealWebhookSecret, webhookSecretKey } from './webhook-secret';
import { verifyWebhookSignature } from './webhook-signature';
import { WebhookDeliveryModule, WebhookEventsModule } from './webhooks.module';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Names of the tests' endpoints (".invalid" never resolves in DNS, so only this table answers). */
const resolveTestNames: WebhookResolver = async (hostname) => {
  const table: Record<string, string[]> = {
    'hooks.tenant.invalid': ['127.0.0.1'],
    'rebound.tenant.invalid': ['93.184.215.14', '10.0.0.7'],
  };
  const addresses = table[hostname];
  if (!addresses) throw new Error(`getaddrinfo ENOTFOUND ${hostname}`);
  return addresses.map((address) => ({ address, family: 4 }));
};

describe('webhooks: outbox, signed delivery, retries with backoff, SSRF guard', () => {
  const secretKey = webhookSecretKey(randomBytes(32).toString('base64'));
  let database: TestDatabase;
  let backend: QueueBackend;
  let context: INestApplicationContext;
  let dataSource: DataSource;
  let receiver: Server;
  let receiverUrl: string;
  let receiverPort: number;
  const received: Received[] = [];
  let failuresToSend = 0;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.statusCode = failuresToSend > 0 ? 503 : 204;
        failuresToSend = Math.max(0, failuresToSend - 1);
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverPort = (receiver.address() as { port: number }).port;
    receiverUrl = `http://127.0.0.1:${receiverPort}/hooks`;

    database = await createTestDatabase();
    backend = process.env['REDIS_URL']
      ? new RedisBackend(process.env['REDIS_URL'], `ztp-test-${randomBytes(4).toString('hex')}`)
      : new PostgresBackend({ url: database.url });
    if (backend.kind === 'postgres') await migrateQueueSchema(database.url);

    @Global()
    @Module({
      providers: [
        { provide: QUEUE_BACKEND, useValue: backend },
        { provide: WEBHOOK_JOB_OPTIONS, useValue: { attempts: 3, backoff: { type: 'fixed', delay: 200 } } },
      ],
      exports: [QUEUE_BACKEND, WEBHOOK_JOB_OPTIONS],
    })
    class TestRuntimeModule {}

    const moduleRef = await Test.createTestingModule({
      imports: [
        TestRuntimeModule,
        PersistenceModule.forRoot({ url: database.url }),
        WebhookEventsModule,
        QueueWorkersModule.forProcessors(
          [WebhookDeliveryProcessor],
          [
            WebhookDeliveryModule.register({
              // The guard is closed except for the receiver on 127.0.0.1, as for an internal receiver.
              useFactory: () => ({
                secretKey,
                timeoutMs: 2000,
                targets: { allowPrivate: false, allowedCidrs: ['127.0.0.1/32'] },
              }),
            }),
          ],
        ),
      ],
    })
      .overrideProvider(WEBHOOK_RESOLVER)
      .useValue(resolveTestNames)
      .compile();
    context = await moduleRef.init();
    dataSource = context.get(DataSource);
  });
  afterAll(async () => {
    await context?.close();
    await backend?.close();
    await database?.drop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  async function endpointFor(tenant: TenantEntity, eventTypes: string[], url = receiverUrl) {
    const secret = generateWebhookSecret();
    const repository = dataSource.getRepository(WebhookEndpointEntity);
    const endpoint = await repository.save({
      tenantId: tenant.id,
      url,
      description: null,
      eventTypes,
      secretSealed: Buffer.alloc(0),
      enabled: true,
      createdBy: 'test',
    });
    await repository.update(
      { id: endpoint.id },
      { secretSealed: sealWebhookSecret(secretKey, endpoint.id, secret) },
    );
    return { endpoint, secret };
  }

  const newTenant = (slug: string) =>
    dataSource.getRepository(TenantEntity).save({ kind: 'owner', name: slug, slug, settings: {} });

  it('delivers a signed event after commit, retrying failed attempts, once per event id', async () => {
    const tenant = await newTenant('hooked');
    const { secret } = await endpointFor(tenant, ['voucher.received']);
    const events = context.get(WebhookEvents);
    failuresToSend = 2;
    received.length = 0;
    const [deliveryId] = await dataSource.transaction((manager) =>
      events.emit(manager, {
        tenantId: tenant.id,
        type: 'voucher.received',
        subject: 'device:00',
        data: { guids: ['00'] },
      }),
    );
    const delivery = await until(async () => {
      const row = await dataSource.getRepository(WebhookDeliveryEntity).findOneByOrFail({ id: deliveryId! });
      return row.status === 'delivered' ? row : undefined;
    });
    expect(delivery.attempts).toBe(3);
    expect(received).toHaveLength(3);
    const eventIds = new Set(received.map((r) => r.headers['ztp-webhook-id']));
    expect(eventIds).toEqual(new Set([delivery.eventId]));
    const last = received.at(-1)!;
    expect(
      verifyWebhookSignature(
        secret,
        {
          timestamp: last.headers['ztp-webhook-timestamp'] as string,
          signature: last.headers['ztp-webhook-signature'] as string,
        },
        last.body,
      ),
    ).toBe(true);
    expect(
      verifyWebhookSignature(
        'whsec_other',
        {
          timestamp: last.headers['ztp-webhook-timestamp'] as string,
          signature: last.headers['ztp-webhook-signature'] as string,
        },
        last.body,
      ),
    ).toBe(false);
    expect(JSON.parse(last.body)).toMatchObject({
      id: delivery.eventId,
      type: 'voucher.received',
      tenantId: tenant.id,
      subject: 'device:00',
      data: { guids: ['00'] },
    });
  });

  it('sends nothing for a rolled-back change, an unsubscribed type or another tenant', async () => {
    const tenant = await newTenant('quiet');
    const other = await newTenant('other');
    await endpointFor(tenant, ['to0.registered']);
    const events = context.get(WebhookEvents);
    received.length = 0;
    await expect(
      dataSource.transaction(async (manager) => {
        await events.emit(manager, { tenantId: tenant.id, type: 'to0.registered', data: {} });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await events.emitNow({ tenantId: tenant.id, type: 'device.onboarded', data: {} })).toEqual([]);
    expect(await events.emitNow({ tenantId: other.id, type: 'to0.registered', data: {} })).toEqual([]);
    const [id] = await events.emitNow({ tenantId: tenant.id, type: 'to0.registered', data: { n: 1 } });
    await until(async () => {
      const row = await dataSource.getRepository(WebhookDeliveryEntity).findOneByOrFail({ id: id! });
      return row.status === 'delivered' ? row : undefined;
    });
    expect(received.map((r) => JSON.parse(r.body).data)).toEqual([{ n: 1 }]);
    expect(await dataSource.getRepository(WebhookDeliveryEntity).countBy({ tenantId: tenant.id })).toBe(1);
  });

  it('marks a delivery failed once its attempts are used up', async () => {
    const tenant = await newTenant('down');
    await endpointFor(tenant, ['device.onboarded']);
    failuresToSend = 10;
    const [id] = await context
      .get(WebhookEvents)
      .emitNow({ tenantId: tenant.id, type: 'device.onboarded', data: {} });
    const failed = await until(async () => {
      const row = await dataSource.getRepository(WebhookDeliveryEntity).findOneByOrFail({ id: id! });
      return row.status === 'failed' ? row : undefined;
    });
    expect(failed).toMatchObject({
      attempts: 3,
      lastStatusCode: 503,
      lastError: 'the endpoint answered 503',
    });
    failuresToSend = 0;
  });

  it('delivers to a host name at the address it resolved to, with its own Host header', async () => {
    const tenant = await newTenant('named');
    await endpointFor(tenant, ['device.onboarded'], `http://hooks.tenant.invalid:${receiverPort}/named`);
    received.length = 0;
    const [id] = await context
      .get(WebhookEvents)
      .emitNow({ tenantId: tenant.id, type: 'device.onboarded', data: {} });
    await until(async () => {
      const row = await dataSource.getRepository(WebhookDeliveryEntity).findOneByOrFail({ id: id! });
      return row.status === 'delivered' ? row : undefined;
    });
    expect(received.map((r) => r.headers.host)).toEqual([`hooks.tenant.invalid:${receiverPort}`]);
  });

  it('refuses a host name that resolves to a private address: failed attempts, nothing sent', async () => {
    const tenant = await newTenant('rebound');
    await endpointFor(tenant, ['device.onboarded'], 'http://rebound.tenant.invalid/hook');
    received.length = 0;
    const [id] = await context
      .get(WebhookEvents)
      .emitNow({ tenantId: tenant.id, type: 'device.onboarded', data: {} });
    const failed = await until(async () => {
      const row = await dataSource.getRepository(WebhookDeliveryEntity).findOneByOrFail({ id: id! });
      return row.status === 'failed' ? row : undefined;
    });
    expect(failed).toMatchObject({
      attempts: 3,
      lastStatusCode: null,
      lastError: 'refused: rebound.tenant.invalid resolves to a private address',
    });
    expect(received).toEqual([]);
  });
});
