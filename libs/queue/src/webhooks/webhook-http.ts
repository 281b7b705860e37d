/** The outbound HTTP port of webhook deliveries (tests may replace it). */
export const WEBHOOK_HTTP = Symbol('WEBHOOK_HTTP');

export interface WebhookRequest {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
}

export type WebhookHttp = (url: string, request: WebhookRequest) => Promise<{ status: number }>;

/** fetch, not following redirects (a 3xx counts as a failed attempt). */
export const fetchWebhookHttp: WebhookHttp = async (url, request) => {
  const response = await fetch(url, { ...request, redirect: 'manual' });
  await response.body?.cancel();
  return { status: response.status };
};
