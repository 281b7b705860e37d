import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { TenantEntity } from '../ledger/tenant.entity';

/**
 * Where a tenant wants its events POSTed. The signing secret is kept encrypted (AES-256-GCM under a
 * key derived from the key-custody master key): deliveries need it in clear to compute HMACs.
 */
@Index('webhook_endpoint_tenant', ['tenantId'])
@Entity({ name: 'webhook_endpoint' })
export class WebhookEndpointEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'webhook_endpoint_tenant_id_fkey' })
  tenantId!: string;

  @Column({ type: 'text' })
  url!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  /** Event types delivered here (see WEBHOOK_EVENT_TYPES in libs/queue). */
  @Column({ name: 'event_types', type: 'jsonb' })
  eventTypes!: string[];

  @Column({ name: 'secret_sealed', type: 'bytea' })
  secretSealed!: Buffer;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
