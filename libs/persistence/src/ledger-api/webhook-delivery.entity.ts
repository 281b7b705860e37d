import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { WebhookEndpointEntity } from './webhook-endpoint.entity';
import { TenantEntity } from '../ledger/tenant.entity';

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/**
 * One event for one endpoint (the outbox row): written in the transaction of the change that
 * raised the event, then sent by the `webhook.deliver` job with retries.
 */
@Check(
  'webhook_delivery_status_check',
  "(status = ANY (ARRAY['pending'::text, 'delivered'::text, 'failed'::text]))",
)
@Index('webhook_delivery_endpoint', ['endpointId', 'createdAt'])
@Index('webhook_delivery_pending', ['createdAt'], { where: "(status = 'pending'::text)" })
@Entity({ name: 'webhook_delivery' })
export class WebhookDeliveryEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'endpoint_id', type: 'uuid' })
  @ForeignKey(() => WebhookEndpointEntity, { name: 'webhook_delivery_endpoint_id_fkey', onDelete: 'CASCADE' })
  endpointId!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => TenantEntity, { name: 'webhook_delivery_tenant_id_fkey' })
  tenantId!: string;

  /** The same for every endpoint the event goes to; receivers deduplicate by it. */
  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType!: string;

  /** The JSON body sent. */
  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ type: 'text' })
  status!: WebhookDeliveryStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'last_attempt_at', type: 'timestamptz', nullable: true })
  lastAttemptAt!: Date | null;

  @Column({ name: 'last_status_code', type: 'integer', nullable: true })
  lastStatusCode!: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;
}
