import { useState } from 'preact/hooks';
import { type Session } from '../main';
import { ErrorNote, useLoad, when } from '../ui';
import { type VoucherRow } from './vouchers';

interface DeviceStatus {
  voucher: VoucherRow;
  replaces: { voucherId: string; guid: string } | null;
  replacement: { voucherId: string; guid: string } | null;
  to0: {
    rvUrl: string;
    status: string;
    registeredUntil: string | null;
    lastError: string | null;
  }[];
}

/** GET /v1/devices/{ref}/events: DI, transfers, TO0, each failed TO1/TO2 message, onboarding, certificates, SZTP. */
interface DeviceEvent {
  id: string;
  occurredAt: string;
  repeats: number;
  protocol: 'fdo' | 'sztp';
  type: string;
  result: 'succeeded' | 'failed' | null;
  messageType: number | null;
  errorCode: number | null;
  reason: string | null;
  guid: string | null;
}

const GUID = /^[0-9a-f]{32}$/i;

function describe(e: DeviceEvent): string {
  const parts = [
    e.messageType !== null ? `message ${e.messageType}` : '',
    e.errorCode !== null ? `error ${e.errorCode}` : '',
    e.reason ?? '',
    e.repeats > 1 ? `×${e.repeats}` : '',
  ].filter(Boolean);
  return parts.join(' — ');
}

/**
 * One device, by its id or any GUID it had: its history (one device id across GUID changes) and,
 * for FDO devices, its voucher and TO0 state; refreshed every two seconds so an onboarding can be
 * watched as it happens.
 */
export function DevicePage({ session, guid: ref }: { session: Session; guid: string }) {
  const [live, setLive] = useState(true);
  const events = useLoad(
    () => session.api.all<DeviceEvent>(`/v1/devices/${encodeURIComponent(ref)}/events?limit=1000`, 5000),
    [session, ref],
    live ? 2000 : undefined,
  );
  const guid = GUID.test(ref) ? ref : [...(events.data ?? [])].reverse().find((e) => e.guid)?.guid;
  const status = useLoad(
    () =>
      guid
        ? session.api.get<DeviceStatus>(`/v1/devices/${encodeURIComponent(guid)}`)
        : Promise.resolve(undefined),
    [session, guid],
    live ? 2000 : undefined,
  );

  const v = status.data?.voucher;
  return (
    <section aria-labelledby="device-title">
      <p>
        <a href="#/fleet">← Fleet</a>
      </p>
      <h1 id="device-title">Device {v?.device?.serialNumber ?? ref}</h1>
      <ErrorNote error={events.error ?? status.error} />
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
              <dd class="mono">{status.data.replacement.guid}</dd>
            </>
          )}
        </dl>
      )}
      {status.data && (
        <table>
          <caption>Rendezvous registrations (TO0)</caption>
          <thead>
            <tr>
              <th scope="col">Rendezvous</th>
              <th scope="col">Status</th>
              <th scope="col">Registered until</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {status.data.to0.map((t) => (
              <tr key={t.rvUrl}>
                <td>{t.rvUrl}</td>
                <td>{t.status}</td>
                <td>{when(t.registeredUntil)}</td>
                <td>{t.lastError ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Timeline</h2>
      <ol class="timeline" aria-live="polite">
        {(events.data ?? []).map((e) => (
          <li key={e.id} class={e.result === 'failed' ? 'failed' : undefined}>
            <time dateTime={e.occurredAt}>{when(e.occurredAt)}</time> <strong>{e.type}</strong>{' '}
            {e.result === 'failed' && <span class="error">failed</span>}{' '}
            <span class="muted">{describe(e)}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
