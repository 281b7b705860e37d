import { Injectable } from '@nestjs/common';
import { AuditEventEntity } from '@ztp/persistence';
import { DataSource } from 'typeorm';
import { z } from 'zod';

export const auditQuerySchema = z.strictObject({
  eventType: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe('Only events of this type, e.g. voucher.imported'),
  subject: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Only events about this subject, e.g. device:<guid>'),
  afterSeq: z
    .string()
    .regex(/^\d{1,18}$/)
    .optional()
    .describe('Events after this sequence number (use nextAfterSeq of the previous page)'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export type AuditQuery = z.output<typeof auditQuerySchema>;

export interface AuditEventView {
  seq: string;
  eventType: string;
  subject: string | null;
  actor: string | null;
  data: Record<string, unknown>;
  occurredAt: string;
  /** Hex SHA-256 chain hashes. */
  prevHash: string | null;
  hash: string;
}

export interface AuditPage {
  items: AuditEventView[];
  /** Pass as afterSeq for the next page; null when this was the last. */
  nextAfterSeq: string | null;
}

/** A tenant's audit events in sequence order, filtered; never another tenant's. */
@Injectable()
export class AuditQueryService {
  constructor(private readonly dataSource: DataSource) {}

  async list(tenantId: string, query: AuditQuery): Promise<AuditPage> {
    const builder = this.dataSource
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .where('e.tenant_id = :tenantId', { tenantId })
      .andWhere('e.seq > :after', { after: query.afterSeq ?? '0' })
      .orderBy('e.seq', 'ASC')
      .take(query.limit + 1);
    if (query.eventType) builder.andWhere('e.event_type = :eventType', { eventType: query.eventType });
    if (query.subject) builder.andWhere('e.subject = :subject', { subject: query.subject });
    const rows = await builder.getMany();
    const items = rows.slice(0, query.limit);
    return {
      items: items.map((row) => ({
        seq: row.seq,
        eventType: row.eventType,
        subject: row.subject,
        actor: row.actor,
        data: row.data,
        occurredAt: row.occurredAt.toISOString(),
        prevHash: row.prevHash ? Buffer.from(row.prevHash).toString('hex') : null,
        hash: Buffer.from(row.hash).toString('hex'),
      })),
      nextAfterSeq: rows.length > query.limit ? items.at(-1)!.seq : null,
    };
  }
}
