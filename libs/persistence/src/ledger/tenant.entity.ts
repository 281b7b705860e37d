import { Check, Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const TENANT_KINDS = ['manufacturer', 'reseller', 'owner'] as const;
export type TenantKind = (typeof TENANT_KINDS)[number];

/**
 * An organisation using the service: a manufacturer (runs DI, holds vouchers first), a reseller
 * (holds and passes vouchers on) or an owner (onboards devices). Every row elsewhere that belongs
 * to someone carries its tenant id, and every query is scoped by it.
 */
@Check('tenant_kind_check', "(kind = ANY (ARRAY['manufacturer'::text, 'reseller'::text, 'owner'::text]))")
@Entity({ name: 'tenant' })
export class TenantEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  kind!: TenantKind;

  @Column({ type: 'text' })
  name!: string;

  /** Short unique handle used in URLs and CLIs. */
  @Column({ type: 'text', unique: true })
  slug!: string;

  /** Per-tenant settings owned by features (e.g. rendezvous directives, owner-onboarding address). */
  @Column({ type: 'jsonb', default: {} })
  settings!: Record<string, unknown>;

  /** Head of this tenant's hash-chained audit log (see AuditLog). */
  @Column({ name: 'audit_head_seq', type: 'bigint', default: 0 })
  auditHeadSeq!: string;

  @Column({ name: 'audit_head_hash', type: 'bytea', nullable: true })
  auditHeadHash!: Buffer | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
