import { createHash } from 'node:crypto';
import { type EntityManager } from 'typeorm';
import { AuditEventEntity } from './audit-event.entity';
import { canonicalJson } from './canonical-json';
import { TenantEntity } from './tenant.entity';

export interface AuditEventInput {
  tenantId: string;
  eventType: string;
  subject?: string | null;
  actor?: string | null;
  data?: Record<string, unknown>;
}

export interface AuditChainReport {
  valid: boolean;
  /** Events checked. */
  count: number;
  /** The first event whose hash does not follow, when invalid. */
  brokenAtSeq?: string;
  reason?: string;
}

/** Refuses to write an audit event outside the transaction of the change it records. */
export class AuditOutsideTransactionError extends Error {
  override readonly name = 'AuditOutsideTransactionError';
}

/**
 * The per-tenant, hash-chained audit log. `append` must run inside the transaction that makes the
 * change: the event commits or rolls back with it. Appends for one tenant are serialised by a row
 * lock on the tenant, which also holds the chain head.
 */
export class AuditLog {
  constructor(private readonly now: () => Date = () => new Date()) {}

  async append(manager: EntityManager, input: AuditEventInput): Promise<AuditEventEntity> {
    if (!manager.queryRunner?.isTransactionActive)
      throw new AuditOutsideTransactionError('audit events are written inside the transaction of the change');
    const tenant = await manager.getRepository(TenantEntity).findOne({
      where: { id: input.tenantId },
      // NO KEY UPDATE: serialises appends per tenant without conflicting with the KEY SHARE locks that
      // inserts referencing the tenant (devices, vouchers...) take earlier in the same transaction.
      lock: { mode: 'for_no_key_update' },
    });
    if (!tenant) throw new Error(`audit: no tenant ${input.tenantId}`);
    const seq = (BigInt(tenant.auditHeadSeq) + 1n).toString();
    const occurredAt = new Date(Math.floor(this.now().getTime()));
    const event = manager.getRepository(AuditEventEntity).create({
      tenantId: input.tenantId,
      seq,
      eventType: input.eventType,
      subject: input.subject ?? null,
      actor: input.actor ?? null,
      data: JSON.parse(JSON.stringify(input.data ?? {})) as Record<string, unknown>,
      occurredAt,
      prevHash: tenant.auditHeadHash,
    });
    event.hash = auditHash(event);
    await manager.getRepository(AuditEventEntity).save(event);
    await manager
      .getRepository(TenantEntity)
      .update({ id: tenant.id }, { auditHeadSeq: seq, auditHeadHash: event.hash });
    return event;
  }

  /** Recomputes the chain from the first event and compares it with the tenant's recorded head. */
  async verifyChain(manager: EntityManager, tenantId: string): Promise<AuditChainReport> {
    const tenant = await manager.getRepository(TenantEntity).findOneByOrFail({ id: tenantId });
    const events = await manager
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .where('e.tenant_id = :tenantId', { tenantId })
      .orderBy('e.seq', 'ASC')
      .getMany();
    let previous: Buffer | null = null;
    let expectedSeq = 1n;
    for (const event of events) {
      const broken = (reason: string): AuditChainReport => ({
        valid: false,
        count: events.length,
        brokenAtSeq: event.seq,
        reason,
      });
      if (BigInt(event.seq) !== expectedSeq) return broken(`expected seq ${expectedSeq}`);
      if (!sameBytes(event.prevHash, previous)) return broken('prev_hash does not match the previous event');
      if (!sameBytes(event.hash, auditHash(event))) return broken('hash does not match the content');
      previous = event.hash;
      expectedSeq++;
    }
    if (tenant.auditHeadSeq !== String(expectedSeq - 1n) || !sameBytes(tenant.auditHeadHash, previous))
      return { valid: false, count: events.length, reason: 'the chain does not end at the recorded head' };
    return { valid: true, count: events.length };
  }
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return Buffer.from(a).equals(Buffer.from(b));
}

/** SHA-256(previous hash || canonical JSON of the event's content). */
export function auditHash(event: Omit<AuditEventEntity, 'id' | 'hash'>): Buffer {
  const content = canonicalJson({
    tenantId: event.tenantId,
    seq: String(event.seq),
    eventType: event.eventType,
    subject: event.subject,
    actor: event.actor,
    data: event.data,
    occurredAt: new Date(event.occurredAt).toISOString(),
  });
  const hash = createHash('sha256');
  if (event.prevHash) hash.update(event.prevHash);
  return hash.update(content).digest();
}
