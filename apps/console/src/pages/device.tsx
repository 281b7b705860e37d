import { useState } from 'preact/hooks';
import { type AuditEvent } from '../audit-chain';
import { type Session } from '../main';
import { ErrorNote, useLoad, when } from '../ui';
import { type VoucherRow } from './fleet';

interface DeviceStatus {
  voucher: VoucherRow & { ownerKeyId?: string };
  replaces: { voucherId: string; guid: string } | null;
  replacement: { voucherId: string; guid: string } | null;
  transfers: {
    id: string;
    direction: string;
    status: string;
    guid: string;
    createdAt: string;
    decidedAt?: string;
  }[];
  to0: {
    rvUrl: string;
    status: string;
    registeredUntil: string | null;
    lastSuccessAt: string | null;
    lastError: string | null;
    nextAttemptAt: string | null;
  }[];
}

/**
 * One device: its voucher, TO0 state and its timeline from the audit log, refreshed every two
 * seconds so an onboarding can be watched as it happens.
 */
export function DevicePage({ session, guid }: { session: Session; guid: string }) {
  const [live, setLive] = useState(true);
  const status = useLoad(
    () => session.api.get<DeviceStatus>(`/v1/devices/${encodeURIComponent(guid)}`),
    [session, guid],
    live ? 2000 : undefined,
  );
  const data = status.data;
  // The audit log files a device under each of its GUIDs and vouchers: gather them all.
  const subjects = data
    ? [
        `device:${data.voucher.guid}`,
        `voucher:${data.voucher.id}`,
        ...(data.replaces ? [`device:${data.replaces.guid}`, `voucher:${data.replaces.voucherId}`] : []),
      ]
    : [];
  const timeline = useLoad(
    async () => {
      if (subjects.length === 0) return [];
      const pages = await Promise.all(
        subjects.map((subject) =>
          session.api.get<{ items: AuditEvent[] }>(
            `/v1/audit/events?limit=200&subject=${encodeURIComponent(subject)}`,
          ),
        ),
      );
      return pages.flatMap((p) => p.items).sort((a, b) => Number(BigInt(a.seq) - BigInt(b.seq)));
    },
    [session, subjects.join(' ')],
    live ? 2000 : undefined,
  );

  const v = status.data?.voucher;
  return (
    <section aria-labelledby="device-title">
      <p>
        <a href="#/fleet">← Fleet</a>
      </p>
      <h1 id="device-title">Device {v?.device?.serialNumber ?? guid}</h1>
      <ErrorNote error={status.error ?? timeline.error} />
      <label class="inline">
        <input
          type="checkbox"
          checked={live}
          onChange={(e) => setLive((e.target as HTMLInputElement).checked)}
        />{' '}
        Live updates
      </label>
      {v && (
        <dl class="facts">
          <dt>Lifecycle</dt>
          <dd data-testid="lifecycle">{v.device?.lifecycle ?? '—'}</dd>
          <dt>GUID</dt>
          <dd class="mono">{v.guid}</dd>
          <dt>Voucher</dt>
          <dd>
            {v.status}, {v.numEntries} entries
          </dd>
          {status.data?.replaces && (
            <>
              <dt>Replaces</dt>
              <dd class="mono">{status.data.replaces.guid}</dd>
            </>
          )}
          {status.data?.replacement && (
            <>
              <dt>Replaced by</dt>
              <dd class="mono">
                <a href={`#/fleet/devices/${status.data.replacement.guid}`}>{status.data.replacement.guid}</a>
              </dd>
            </>
          )}
        </dl>
      )}
      <h2>Rendezvous registrations (TO0)</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Rendezvous</th>
            <th scope="col">Status</th>
            <th scope="col">Registered until</th>
            <th scope="col">Last error</th>
          </tr>
        </thead>
        <tbody>
          {(status.data?.to0 ?? []).map((t) => (
            <tr key={t.rvUrl}>
              <td>{t.rvUrl}</td>
              <td>{t.status}</td>
              <td>{when(t.registeredUntil)}</td>
              <td>{t.lastError ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Timeline</h2>
      <ol class="timeline" aria-live="polite">
        {(timeline.data ?? []).map((e) => (
          <li key={e.seq}>
            <time dateTime={e.occurredAt}>{when(e.occurredAt)}</time> <strong>{e.eventType}</strong>{' '}
            <span class="muted">by {e.actor}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
