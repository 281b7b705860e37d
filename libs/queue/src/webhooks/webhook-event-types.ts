/**
 * Events a tenant can subscribe a webhook endpoint to. Who raises them:
 * voucher.received: the ledger (an import, or a transfer arriving for or accepted by the tenant);
 * transfer.accepted / transfer.rejected: the ledger, to the sender;
 * to0.registered: the rendezvous TO0 job; device.onboarded and certificate.issued: owner onboarding;
 * device.owned: the ledger, when an owner tenant takes a device's voucher (manufactured or, on a
 * resale, onboarded -> owned); device.disabled / device.enabled / device.decommissioned: the ledger,
 * on the owner's lifecycle moves.
 * certificate.renewed: EST re-enrolment; certificate.revoked: the owner's API and re-enrolment (superseded);
 * certificate.expiring: the worker, a configured time before a current certificate's notAfter.
 * Failures (DeviceFailureReporter, at most one per device and failure per DEVICE_EVENT_COALESCE_SECONDS):
 * device.onboarding_failed: a TO1 or TO2 message answered with an FDO error (owner onboarding,
 * rendezvous); device.di_failed: a DI message refused (to the manufacturer); sztp.bootstrap_failed:
 * an SZTP RPC refused or a terminal error reported by the device; to0.failed: the TO0 job's
 * registration failing after it worked or on its first try.
 */
export const WEBHOOK_EVENT_TYPES = [
  'voucher.received',
  'transfer.accepted',
  'transfer.rejected',
  'to0.registered',
  'device.owned',
  'device.onboarded',
  'device.disabled',
  'device.enabled',
  'device.decommissioned',
  'certificate.issued',
  'certificate.renewed',
  'certificate.revoked',
  'certificate.expiring',
  'device.onboarding_failed',
  'device.di_failed',
  'sztp.bootstrap_failed',
  'to0.failed',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(value: unknown): value is WebhookEventType {
  return typeof value === 'string' && (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** What a feature reports; the outbox adds the event id and time. */
export interface WebhookEventInput {
  tenantId: string;
  type: WebhookEventType;
  /** What it is about, e.g. `device:<guid>` or `transfer:<id>`. */
  subject?: string;
  /** JSON-serialisable details; keep it small (ids, GUIDs, statuses), never secrets. */
  data: Record<string, unknown>;
}

/** The JSON body POSTed to the endpoint. */
export interface WebhookPayload {
  id: string;
  type: WebhookEventType;
  tenantId: string;
  occurredAt: string;
  subject: string | null;
  data: Record<string, unknown>;
}
