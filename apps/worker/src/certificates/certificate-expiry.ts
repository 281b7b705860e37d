import { Inject, Injectable, Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { type Job } from 'bullmq';
import { type AppConfig } from '@ztp/config';
import { AuditLog } from '@ztp/persistence';
import { APP_CONFIG, CLOCK, type Clock } from '@ztp/platform';
import {
  CERTIFICATE_EXPIRY_SCAN,
  type JobProcessor,
  JobQueues,
  QueueModule,
  WebhookEvents,
  WebhookEventsModule,
} from '@ztp/queue';
import { DataSource } from 'typeorm';

/** Certificates announced per scan at most; the next scan continues. */
export const EXPIRY_SCAN_BATCH = 500;

interface Expiring {
  id: string;
  owner_tenant_id: string;
  guid: string;
  serial_number: string;
  fingerprint: string;
  not_after: Date;
}

/**
 * Raises `certificate.expiring` (audit event and webhook) once per certificate, when a current one
 * (not revoked, hence not superseded) comes within CERTIFICATE_EXPIRING_NOTICE_SECONDS of its
 * notAfter. Each certificate is claimed by a guarded UPDATE in the transaction that writes its
 * events, so concurrent scans on several replicas announce it once.
 */
@Injectable()
export class CertificateExpiryScanProcessor implements JobProcessor<
  Record<string, never>,
  { announced: number }
> {
  readonly queue = CERTIFICATE_EXPIRY_SCAN;
  private readonly logger = new Logger('Certificates');
  private readonly audit: AuditLog;

  constructor(
    private readonly dataSource: DataSource,
    private readonly webhooks: WebhookEvents,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.audit = new AuditLog(() => clock.now());
  }

  async process(_job?: Job): Promise<{ announced: number }> {
    const now = this.clock.now();
    const horizon = new Date(now.getTime() + this.config.certificates.expiringNoticeSeconds * 1000);
    const due: Expiring[] = await this.dataSource.query(
      `SELECT id, owner_tenant_id, guid, serial_number, fingerprint, not_after FROM issued_certificate
        WHERE revoked_at IS NULL AND expiring_notified_at IS NULL AND not_after <= $1 AND not_after > $2
        ORDER BY not_after LIMIT $3`,
      [horizon, now, EXPIRY_SCAN_BATCH],
    );
    let announced = 0;
    for (const certificate of due) {
      const claimed = await this.dataSource.transaction(async (manager) => {
        const [rows]: [{ id: string }[], number] = await manager.query(
          `UPDATE issued_certificate SET expiring_notified_at = $2
            WHERE id = $1 AND expiring_notified_at IS NULL AND revoked_at IS NULL RETURNING id`,
          [certificate.id, now],
        );
        if (rows.length === 0) return false;
        const data = {
          certificateId: certificate.id,
          serialNumber: certificate.serial_number,
          fingerprint: certificate.fingerprint,
          notAfter: certificate.not_after.toISOString(),
        };
        const subject = `device:${certificate.guid}`;
        await this.audit.append(manager, {
          tenantId: certificate.owner_tenant_id,
          eventType: 'certificate.expiring',
          subject,
          actor: 'system',
          data,
        });
        await this.webhooks.emit(manager, {
          tenantId: certificate.owner_tenant_id,
          type: 'certificate.expiring',
          subject,
          data,
        });
        return true;
      });
      if (claimed) announced++;
    }
    if (announced > 0) this.logger.log(`${announced} certificate(s) expiring announced`);
    return { announced };
  }
}

/** Registers the expiry scan as a job scheduler (idempotent, so every replica may do it). */
@Injectable()
export class CertificateExpirySchedule implements OnApplicationBootstrap {
  constructor(
    private readonly queues: JobQueues,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queues
      .get(CERTIFICATE_EXPIRY_SCAN)
      .upsertJobScheduler(
        'certificate-expiry-scan',
        { every: this.config.certificates.expiryScanIntervalSeconds * 1000 },
        { name: 'scan', data: {} },
      );
  }
}

/** What the certificate processors inject; imported into the worker (WORKER_IMPORTS). */
@Module({
  imports: [QueueModule, WebhookEventsModule],
  providers: [CertificateExpirySchedule],
  exports: [QueueModule, WebhookEventsModule],
})
export class CertificateWorkerModule {}
