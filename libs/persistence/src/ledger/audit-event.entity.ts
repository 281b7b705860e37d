import { Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { TenantEntity } from './tenant.entity';

/**
 * One entry of a tenant's audit log. Entries are hash-chained per tenant: `hash` covers the
 * previous entry's hash and this entry's canonical content, so an edited, removed or reordered
 * entry breaks verification from that point on.
 */
@Unique('audit_event_tenant_id_seq_key', ['tenantId', 'seq'])
@Index('audit_event_subject', ['tenantId', 'subject'])
@Entity({ name: 'audit_event' })
export class AuditEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'audit_event_tenant_id_fkey' })
  tenantId!: string;

  /** 1, 2, 3... per tenant, no gaps. */
  @Column({ type: 'bigint' })
  seq!: string;

  /** e.g. `device.initialized`, `voucher.transferred`, `device.onboarded`. */
  @Column({ name: 'event_type', type: 'text' })
  eventType!: string;

  /** What it is about, e.g. `device:<guid>` or `voucher:<id>`. */
  @Column({ type: 'text', nullable: true })
  subject!: string | null;

  /** Who did it, e.g. `api-key:<id>`, `station:<id>`, `device:<guid>`, `system`. */
  @Column({ type: 'text', nullable: true })
  actor!: string | null;

  @Column({ type: 'jsonb' })
  data!: Record<string, unknown>;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'prev_hash', type: 'bytea', nullable: true })
  prevHash!: Buffer | null;

  @Column({ type: 'bytea' })
  hash!: Buffer;
}
