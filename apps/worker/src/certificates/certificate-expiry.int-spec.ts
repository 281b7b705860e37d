import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@ztp/config';
import {
  AuditEventEntity,
  createTestDatabase,
  DeviceEntity,
  IssuedCertificateEntity,
  TenantEntity,
  type TestDatabase,
  WebhookDeliveryEntity,
  WebhookEndpointEntity,
} from '@ztp/persistence';
import {
  createRootLogger,
  createWorkerContext,
  NestLoggerAdapter,
  type Runtime,
  startRuntime,
} from '@ztp/platform';
import { CERTIFICATE_EXPIRY_SCAN, JobQueues, QueueWorkersModule } from '@ztp/queue';
import { CertificateExpiryScanProcessor, CertificateWorkerModule } from './certificate-expiry';

const DAY = 86_400_000;
const dataDir = mkdtempSync(join(tmpdir(), 'ztp-cert-expiry-'));
let database: TestDatabase | undefined;
let runtime: Runtime;
let context: INestApplicationContext;
let dataSource: DataSource;

beforeAll(async () => {
  const env: NodeJS.ProcessEnv = {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    REDIS_URL: process.env['REDIS_URL'],
    QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
    CERTIFICATE_EXPIRING_NOTICE_SECONDS: String(7 * 86_400),
    CERTIFICATE_EXPIRY_SCAN_INTERVAL_SECONDS: '600',
  };
  if (process.env['DATABASE_URL']) {
    database = await createTestDatabase({ migrate: false });
    Object.assign(env, {
      DATABASE_URL: database.url,
      KEY_CUSTODY_MASTER_KEY: randomBytes(32).toString('base64'),
    });
  }
  const config = loadConfig(env);
  const logger = createRootLogger(config, 'cert-expiry-test');
  runtime = await startRuntime(config, logger, { migrate: true });
  context = await createWorkerContext(
    runtime,
    QueueWorkersModule.forProcessors([CertificateExpiryScanProcessor], [CertificateWorkerModule]),
    new NestLoggerAdapter(logger),
  );
  dataSource = context.get(DataSource);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await runtime?.close();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('certificate.expiring from the worker', () => {
  it('announces each current certificate once, a configured time before notAfter; not revoked, expired or later ones', async () => {
    const schedulers = await context.get(JobQueues).get(CERTIFICATE_EXPIRY_SCAN).getJobSchedulers();
    expect(schedulers.map((s) => ({ key: s.key, every: s.every }))).toEqual([
      { key: 'certificate-expiry-scan', every: 600_000 },
    ]);

    const owner = await dataSource.getRepository(TenantEntity).save({
      kind: 'owner',
      name: 'Expiry owner',
      slug: `expiry-${randomBytes(3).toString('hex')}`,
      settings: {},
    });
    await dataSource.getRepository(WebhookEndpointEntity).save({
      tenantId: owner.id,
      url: 'https://hooks.example.com/expiry',
      description: null,
      secretSealed: Buffer.alloc(32),
      eventTypes: ['certificate.expiring'],
      enabled: true,
      createdBy: 'user:test',
    });
    const guid = randomBytes(16).toString('hex');
    const device = await dataSource.getRepository(DeviceEntity).save({
      manufacturerTenantId: null,
      serialNumber: 'SN-EXP',
      deviceInfo: 'test',
      guid,
      originalGuid: guid,
      lifecycle: 'owned',
    });
    const now = Date.now();
    const certificate = (serial: string, notAfter: number, revoked = false) =>
      dataSource.getRepository(IssuedCertificateEntity).save({
        ownerTenantId: owner.id,
        deviceId: device.id,
        guid,
        serialNumber: serial,
        subject: `CN=${guid}`,
        fingerprint: randomBytes(32).toString('hex'),
        certificate: Buffer.from([0x30, 0x00]),
        notAfter: new Date(notAfter),
        kind: 'simpleenroll' as const,
        issuedAt: new Date(now - 30 * DAY),
        revokedAt: revoked ? new Date(now) : null,
        revocationReason: revoked ? ('superseded' as const) : null,
      });
    const soon = await certificate('01', now + 2 * DAY);
    await certificate('02', now + 30 * DAY);
    await certificate('03', now + 2 * DAY, true);
    await certificate('04', now - DAY);

    const processor = context.get(CertificateExpiryScanProcessor);
    expect(await processor.process()).toEqual({ announced: 1 });
    expect(await processor.process()).toEqual({ announced: 0 });

    const events = await dataSource
      .getRepository(AuditEventEntity)
      .findBy({ tenantId: owner.id, eventType: 'certificate.expiring' });
    expect(events.map((event) => event.data['serialNumber'])).toEqual(['01']);
    const deliveries = await dataSource
      .getRepository(WebhookDeliveryEntity)
      .findBy({ tenantId: owner.id, eventType: 'certificate.expiring' });
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.payload).toMatchObject({
      subject: `device:${guid}`,
      data: { certificateId: soon.id, notAfter: soon.notAfter.toISOString() },
    });
    expect(
      (await dataSource.getRepository(IssuedCertificateEntity).findOneByOrFail({ id: soon.id }))
        .expiringNotifiedAt,
    ).not.toBeNull();
  });
});
