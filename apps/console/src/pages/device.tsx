import { useState } from 'preact/hooks';
import { type Session } from '../main';
import { ApiError } from '../api';
import { Confirm, ErrorNote, Notice, useLoad, when } from '../ui';
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

interface LifecycleView {
  lifecycle: string;
  disabledFrom: string | null;
  effectiveReonboarding: string;
}

type Action = 'disable' | 'enable' | 'decommission';

const ACTIONS: Record<Action, { label: string; title: string; explain: string }> = {
  disable: {
    label: 'Disable',
    title: 'Disable this device?',
    explain:
      'TO1 and TO2 are refused until you enable it again; its voucher, configuration and history stay.',
  },
  enable: {
    label: 'Enable',
    title: 'Enable this device?',
    explain: 'It goes back to the state it had before.',
  },
  decommission: {
    label: 'Decommission',
    title: 'Decommission this device for good?',
    explain:
      'Its voucher is retired, its rendezvous registrations withdrawn and its certificates revoked. Only the manufacturer can bring the serial back.',
  },
};

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

  const lifecycle = useLoad(
    () =>
      guid
        ? session.api.get<LifecycleView>(`/v1/devices/${encodeURIComponent(guid)}/lifecycle`)
        : Promise.resolve(undefined),
    [session, guid],
    live ? 2000 : undefined,
  );
  const [asking, setAsking] = useState<Action | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [actionError, setActionError] = useState<string | undefined>();
  const act = async () => {
    const action = asking!;
    setAsking(undefined);
    setActionError(undefined);
    try {
      const view = await session.api.post<LifecycleView>(
        `/v1/devices/${encodeURIComponent(guid!)}/${action}`,
      );
      setNotice(`Done: the device is now ${view.lifecycle}.`);
      lifecycle.reload();
      status.reload();
    } catch (err) {
      setActionError(err instanceof ApiError ? err.message : String(err));
    }
  };
  const state = lifecycle.data?.lifecycle;

  const v = status.data?.voucher;
  return (
    <section aria-labelledby="device-title">
      <p>
        <a href="#/fleet">← Fleet</a>
      </p>
      <h1 id="device-title">Device {v?.device?.serialNumber ?? ref}</h1>
      <Notice text={notice} />
      <ErrorNote error={actionError ?? events.error ?? status.error} />
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
          <dd data-testid="lifecycle">{state ?? v.device?.lifecycle ?? '—'}</dd>
          {lifecycle.data && (
            <>
              <dt>Re-onboarding</dt>
              <dd>{lifecycle.data.effectiveReonboarding}</dd>
            </>
          )}
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
      {state && state !== 'decommissioned' && (
        <div class="actions">
          {state === 'disabled' ? (
            <button type="button" onClick={() => setAsking('enable')}>
              Enable…
            </button>
          ) : (
            <button type="button" onClick={() => setAsking('disable')}>
              Disable…
            </button>
          )}
          <button type="button" class="danger" onClick={() => setAsking('decommission')}>
            Decommission…
          </button>
        </div>
      )}
      <Confirm
        open={!!asking}
        title={asking ? ACTIONS[asking].title : ''}
        confirmLabel={asking ? ACTIONS[asking].label : ''}
        onConfirm={() => void act()}
        onCancel={() => setAsking(undefined)}
      >
        <p>{asking ? ACTIONS[asking].explain : ''}</p>
      </Confirm>
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
