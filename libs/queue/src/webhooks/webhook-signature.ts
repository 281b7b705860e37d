import { createHmac, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_ID_HEADER = 'ZTP-Webhook-Id';
export const WEBHOOK_TIMESTAMP_HEADER = 'ZTP-Webhook-Timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'ZTP-Webhook-Signature';

/**
 * The signature scheme. Each delivery carries:
 *   ZTP-Webhook-Id: <event id>             (the same on retries; deduplicate by it)
 *   ZTP-Webhook-Timestamp: <unix seconds>  (time of this attempt)
 *   ZTP-Webhook-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 * A receiver recomputes the HMAC over the raw body bytes with the endpoint's secret (the whole
 * `whsec_...` string as UTF-8), compares in constant time, and refuses timestamps more than a few
 * minutes from its clock (replays).
 */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Receiver-side check (used by tests and documented for integrators). */
export function verifyWebhookSignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  options: { now?: Date; toleranceSeconds?: number } = {},
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isSafeInteger(timestamp) || headers.signature === undefined) return false;
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(webhookSignature(secret, timestamp, body));
  const presented = Buffer.from(headers.signature);
  return expected.length === presented.length && timingSafeEqual(expected, presented);
}
