import { randomUUID } from 'node:crypto';
import { type WebhookEventInput, type WebhookPayload } from './webhook-event-types';

/** The payload of an event raised at `now`: what each of its deliveries signs and sends. */
export function webhookPayload(event: WebhookEventInput, now: Date = new Date()): WebhookPayload {
  return {
    id: randomUUID(),
    type: event.type,
    tenantId: event.tenantId,
    occurredAt: now.toISOString(),
    subject: event.subject ?? null,
    data: JSON.parse(JSON.stringify(event.data)) as Record<string, unknown>,
  };
}

/**
 * The outbox write of one event as a data-modifying CTE named `name`: one pending webhook_delivery
 * row per enabled endpoint of the tenant subscribed to the event's type, written only when the SQL
 * `condition` holds, RETURNING the delivery ids (to enqueue once the statement has committed).
 * `WebhookEvents.emit` runs it alone; hot paths that write a whole change in one statement (TO2
 * Done) put it beside their other CTEs. Parameters are numbered from `firstParam`.
 */
export function webhookOutboxCte(
  payload: WebhookPayload,
  options: { name: string; condition: string; firstParam: number },
): { cte: string; params: unknown[] } {
  const p = (offset: number) => `$${options.firstParam + offset}`;
  return {
    cte: `${options.name} AS (
    INSERT INTO webhook_delivery (endpoint_id, tenant_id, event_id, event_type, payload, status, attempts)
    SELECT e.id, ${p(0)}::uuid, ${p(1)}::uuid, ${p(2)}::text, ${p(3)}::jsonb, 'pending', 0
      FROM webhook_endpoint e
     WHERE e.tenant_id = ${p(0)}::uuid AND e.enabled AND e.event_types @> jsonb_build_array(${p(2)}::text)
       AND (${options.condition})
    RETURNING id
  )`,
    params: [payload.tenantId, payload.id, payload.type, JSON.stringify(payload)],
  };
}
