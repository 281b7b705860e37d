import { createHash, randomBytes } from 'node:crypto';
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
  const hash = createHash('sha256');
  if (event.prevHash) hash.update(event.prevHash);
  return hash.update(canonicalJson(hashedContent(event))).digest();
}

/** What an event's hash covers (besides the previous hash). */
function hashedContent(event: Omit<AuditEventEntity, 'id' | 'hash' | 'prevHash'>): Record<string, unknown> {
  return {
    tenantId: event.tenantId,
    seq: String(event.seq),
    eventType: event.eventType,
    subject: event.subject,
    actor: event.actor,
    data: event.data,
    occurredAt: new Date(event.occurredAt).toISOString(),
  };
}

/** Audit events appended as part of one larger SQL statement (see `auditAppendCtes`). */
export interface AuditCtes {
  /** `audit_head AS (...), audit_1 AS (...), ..., audit_events AS (...), audit_head_moved AS (...)`. */
  ctes: string;
  params: unknown[];
}

/**
 * Audit events of one tenant appended by data-modifying CTEs inside a caller's single statement,
 * for hot paths that write a whole change in ONE round trip (a single statement is atomic, so the
 * events commit or roll back with the change, as with `append`). Same chain, same hashes as
 * `append`: the tenant row is locked FOR NO KEY UPDATE and its head read; each event's hash is
 * SHA-256(previous hash || canonical JSON), computed by PostgreSQL over the canonical JSON built
 * here, into which only the sequence number (the one thing the database knows) is spliced.
 *
 * `condition` (SQL) gates the lock: nothing is written unless it holds. Referencing the caller's
 * other CTEs there also makes them run before the tenant is locked, keeping the lock order of
 * `append` (rows of the change first, tenant last). Parameters are numbered from `firstParam`;
 * the statement can count `audit_events` to see what was written.
 */
export function auditAppendCtes(options: {
  tenantId: string;
  events: readonly Omit<AuditEventInput, 'tenantId'>[];
  occurredAt: Date;
  condition: string;
  firstParam: number;
}): AuditCtes {
  if (options.events.length === 0) throw new Error('auditAppendCtes needs at least one event');
  const params: unknown[] = [];
  const param = (value: unknown, type: string): string => {
    params.push(value);
    return `$${options.firstParam + params.length - 1}::${type}`;
  };
  const tenant = param(options.tenantId, 'uuid');
  const occurredAt = new Date(Math.floor(options.occurredAt.getTime()));
  const at = param(occurredAt, 'timestamptz');
  const ctes = [
    `audit_head AS MATERIALIZED (
      SELECT audit_head_seq AS seq, audit_head_hash AS hash FROM tenant
       WHERE id = ${tenant} AND (${options.condition})
       FOR NO KEY UPDATE
    )`,
  ];
  const inserts: string[] = [];
  options.events.forEach((input, i) => {
    const data = JSON.parse(JSON.stringify(input.data ?? {})) as Record<string, unknown>;
    const subject = input.subject ?? null;
    const actor = input.actor ?? null;
    // The canonical JSON with a unique marker as the sequence number, split around it.
    const marker = `seq-${randomBytes(12).toString('hex')}`;
    const parts = canonicalJson(
      hashedContent({
        tenantId: options.tenantId,
        seq: marker,
        eventType: input.eventType,
        subject,
        actor,
        data,
        occurredAt,
      }),
    ).split(`"${marker}"`);
    if (parts.length !== 2) throw new Error('audit: the sequence marker must appear once');
    const previous = i === 0 ? 'audit_head' : `audit_${i}`;
    ctes.push(`audit_${i + 1} AS MATERIALIZED (
      SELECT seq + 1 AS seq, hash AS prev_hash,
             sha256(coalesce(hash, ''::bytea) ||
                    convert_to(${param(`${parts[0]}"`, 'text')} || (seq + 1)::text || ${param(`"${parts[1]}`, 'text')}, 'UTF8')) AS hash
        FROM ${previous}
    )`);
    inserts.push(
      `SELECT ${tenant}, seq, ${param(input.eventType, 'text')}, ${param(subject, 'text')}, ${param(actor, 'text')},
              ${param(JSON.stringify(data), 'jsonb')}, ${at}, prev_hash, hash FROM audit_${i + 1}`,
    );
  });
  ctes.push(`audit_events AS (
      INSERT INTO audit_event (tenant_id, seq, event_type, subject, actor, data, occurred_at, prev_hash, hash)
      ${inserts.join('\n      UNION ALL ')}
      RETURNING seq
    )`);
  ctes.push(`audit_head_moved AS (
      UPDATE tenant SET audit_head_seq = last.seq, audit_head_hash = last.hash
        FROM audit_${options.events.length} last WHERE tenant.id = ${tenant}
      RETURNING 1
    )`);
  return { ctes: ctes.join(',\n    '), params };
}
