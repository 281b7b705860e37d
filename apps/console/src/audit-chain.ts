/**
 * The audit chain checked in the browser, independently of the server's own /v1/audit/verify:
 * each event's hash is SHA-256(previous hash || canonical JSON of its content), the formula of
 * libs/persistence/src/ledger/audit-log.ts (auditHash), recomputed here with WebCrypto.
 */
export interface AuditEvent {
  seq: string;
  eventType: string;
  subject: string;
  actor: string;
  data: unknown;
  occurredAt: string;
  prevHash: string | null;
  hash: string;
}

export type ChainResult = { valid: true; count: number } | { valid: false; seq: string; reason: string };

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(JSON.parse(JSON.stringify(value ?? null))));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort())
      sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
    return sorted;
  }
  return value;
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function bytesToHex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export async function eventHash(tenantId: string, event: AuditEvent): Promise<string> {
  const content = canonicalJson({
    tenantId,
    seq: String(event.seq),
    eventType: event.eventType,
    subject: event.subject,
    actor: event.actor,
    data: event.data,
    occurredAt: new Date(event.occurredAt).toISOString(),
  });
  const prev = event.prevHash ? hexToBytes(event.prevHash) : new Uint8Array();
  const body = new TextEncoder().encode(content);
  const input = new Uint8Array(prev.length + body.length);
  input.set(prev);
  input.set(body, prev.length);
  return bytesToHex(await crypto.subtle.digest('SHA-256', input));
}

/** Events in sequence order, from the first: every link and every hash must hold. */
export async function verifyChain(tenantId: string, events: AuditEvent[]): Promise<ChainResult> {
  let previous: string | null = null;
  let expectedSeq = 1n;
  for (const event of events) {
    if (BigInt(event.seq) !== expectedSeq)
      return { valid: false, seq: event.seq, reason: `expected event ${expectedSeq}` };
    if ((event.prevHash ?? null) !== previous)
      return { valid: false, seq: event.seq, reason: 'it does not link to the previous event' };
    if ((await eventHash(tenantId, event)) !== event.hash)
      return { valid: false, seq: event.seq, reason: 'its hash does not match its content' };
    previous = event.hash;
    expectedSeq++;
  }
  return { valid: true, count: events.length };
}
