import { useState } from 'preact/hooks';
import { type Session } from '../main';
import { ErrorNote, useLoad, when } from '../ui';

/** GET /v1/devices: one row per device (FDO or SZTP), with its last result and failure. */
export interface DeviceRow {
  id: string;
  protocol: 'fdo' | 'sztp';
  guid: string | null;
  serialNumber: string | null;
  deviceInfo: string | null;
  lifecycle: string | null;
  bootstrapState: string | null;
  updatedAt: string;
  lastResult: 'succeeded' | 'failed' | null;
  lastEvent: {
    type: string;
    messageType: number | null;
    errorCode: number | null;
    reason: string | null;
    at: string;
    repeats: number;
  } | null;
}

const PAGE = 50;
/** The state tiles read at most this many devices; beyond it they say so. */
const TILE_LIMIT = 5000;
const DAY_MS = 24 * 3600_000;

function stateOf(device: DeviceRow): string {
  return device.lifecycle ?? (device.bootstrapState ? `sztp ${device.bootstrapState}` : 'unknown');
}

export function failureText(device: DeviceRow): string {
  const e = device.lastEvent;
  if (!e || device.lastResult !== 'failed') return '';
  const code =
    e.errorCode !== null ? `${device.protocol === 'sztp' ? 'error' : 'FDO error'} ${e.errorCode}` : e.type;
  const message = e.messageType !== null ? ` at message ${e.messageType}` : '';
  return `${code}${message}: ${e.reason ?? 'no reason given'}${e.repeats > 1 ? ` (×${e.repeats})` : ''}`;
}

/**
 * The owner's fleet: devices by state, onboardings per hour and the failures of the last 24 hours
 * with their error and reason, then the device list with search, filters and cursor paging (a fleet
 * of any size is never loaded whole).
 */
export function FleetPage({ session }: { session: Session }) {
  const [cursor, setCursor] = useState<string | undefined>();
  const [history, setHistory] = useState<string[]>([]);
  const [lifecycle, setLifecycle] = useState('');
  const [result, setResult] = useState('');
  const [protocol, setProtocol] = useState('');
  const [search, setSearch] = useState('');
  const restart = () => {
    setCursor(undefined);
    setHistory([]);
  };

  const overview = useLoad(
    async () => {
      const since = new Date(Date.now() - DAY_MS).toISOString();
      const recent = `updatedSince=${encodeURIComponent(since)}`;
      const [devices, failures, succeeded] = await Promise.all([
        session.api.all<DeviceRow>('/v1/devices?limit=500', TILE_LIMIT),
        session.api.all<DeviceRow>(`/v1/devices?limit=100&result=failed&${recent}`, 100),
        // A device whose last result in the last day is a success onboarded (or bootstrapped) then.
        session.api.all<DeviceRow>(`/v1/devices?limit=500&result=succeeded&${recent}`, TILE_LIMIT),
      ]);
      const byState = new Map<string, number>();
      for (const device of devices) byState.set(stateOf(device), (byState.get(stateOf(device)) ?? 0) + 1);
      const hours = Array.from({ length: 24 }, (_, i) => ({
        hour: new Date(Date.now() - (23 - i) * 3600_000),
        count: 0,
      }));
      for (const device of succeeded) {
        const at = device.lastEvent?.at ?? device.updatedAt;
        const age = Math.floor((Date.now() - new Date(at).getTime()) / 3600_000);
        if (age >= 0 && age < 24) hours[23 - age]!.count++;
      }
      return { states: [...byState.entries()].sort(), capped: devices.length >= TILE_LIMIT, failures, hours };
    },
    [session],
    5000,
  );

  const list = useLoad(
    () => {
      const query = new URLSearchParams({ limit: String(PAGE) });
      if (cursor) query.set('cursor', cursor);
      if (lifecycle) query.set('lifecycle', lifecycle);
      if (result) query.set('result', result);
      if (protocol) query.set('protocol', protocol);
      if (search.trim()) query.set('q', search.trim());
      return session.api.get<{ items: DeviceRow[]; nextCursor?: string | null }>(`/v1/devices?${query}`);
    },
    [session, cursor, lifecycle, result, protocol, search],
    5000,
  );

  const peak = Math.max(1, ...(overview.data?.hours ?? []).map((h) => h.count));
  return (
    <section aria-labelledby="fleet-title">
      <h1 id="fleet-title">Fleet</h1>
      <ErrorNote error={overview.error ?? list.error} />
      <h2>Devices by state{overview.data?.capped ? ` (first ${TILE_LIMIT.toLocaleString()})` : ''}</h2>
      <ul class="tiles" aria-label="Devices by state">
        {(overview.data?.states ?? []).map(([state, count]) => (
          <li key={state}>
            <span class="count">{count}</span> <span>{state}</span>
          </li>
        ))}
      </ul>
      <h2 id="per-hour">Onboardings per hour, last 24 hours</h2>
      <ol class="bars" aria-labelledby="per-hour">
        {(overview.data?.hours ?? []).map((h) => (
          <li key={h.hour.toISOString()} title={`${h.hour.getHours()}:00 — ${h.count}`}>
            <span class="bar" style={{ height: `${(h.count / peak) * 100}%` }} />
            <span class="visually-hidden">
              {h.hour.getHours()}:00: {h.count}
            </span>
          </li>
        ))}
      </ol>
      <table>
        <caption>Failures of the last 24 hours</caption>
        <thead>
          <tr>
            <th scope="col">Device</th>
            <th scope="col">Protocol</th>
            <th scope="col">Error and reason</th>
            <th scope="col">When</th>
          </tr>
        </thead>
        <tbody>
          {(overview.data?.failures ?? []).map((d) => (
            <tr key={d.id}>
              <td>
                <a href={`#/fleet/devices/${d.guid ?? d.id}`}>{d.serialNumber ?? d.guid ?? d.id}</a>
              </td>
              <td>{d.protocol.toUpperCase()}</td>
              <td>{failureText(d)}</td>
              <td>{when(d.lastEvent?.at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="filters" onSubmit={(e) => e.preventDefault()} role="search">
        <label for="device-search">Serial number (part) or GUID</label>
        <input
          id="device-search"
          type="search"
          value={search}
          onInput={(e) => {
            setSearch((e.target as HTMLInputElement).value);
            restart();
          }}
        />
        <label for="lifecycle-filter">Lifecycle</label>
        <select
          id="lifecycle-filter"
          value={lifecycle}
          onChange={(e) => {
            setLifecycle((e.target as HTMLSelectElement).value);
            restart();
          }}
        >
          <option value="">any</option>
          {['manufactured', 'owned', 'onboarded', 'disabled', 'decommissioned'].map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <label for="result-filter">Last result</label>
        <select
          id="result-filter"
          value={result}
          onChange={(e) => {
            setResult((e.target as HTMLSelectElement).value);
            restart();
          }}
        >
          <option value="">any</option>
          <option value="succeeded">succeeded</option>
          <option value="failed">failed</option>
          <option value="none">none yet</option>
        </select>
        <label for="protocol-filter">Protocol</label>
        <select
          id="protocol-filter"
          value={protocol}
          onChange={(e) => {
            setProtocol((e.target as HTMLSelectElement).value);
            restart();
          }}
        >
          <option value="">any</option>
          <option value="fdo">FDO</option>
          <option value="sztp">SZTP</option>
        </select>
      </form>
      <table>
        <caption>Devices</caption>
        <thead>
          <tr>
            <th scope="col">Serial</th>
            <th scope="col">GUID</th>
            <th scope="col">Protocol</th>
            <th scope="col">State</th>
            <th scope="col">Last result</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {(list.data?.items ?? []).map((d) => (
            <tr key={d.id}>
              <td>
                <a href={`#/fleet/devices/${d.guid ?? d.id}`}>{d.serialNumber ?? '(no serial)'}</a>
              </td>
              <td class="mono">{d.guid ?? '—'}</td>
              <td>{d.protocol.toUpperCase()}</td>
              <td>{stateOf(d)}</td>
              <td>{d.lastResult === 'failed' ? failureText(d) : (d.lastResult ?? '—')}</td>
              <td>{when(d.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="pager">
        <button
          type="button"
          disabled={history.length === 0}
          onClick={() => {
            const previous = [...history];
            setCursor(previous.pop() || undefined);
            setHistory(previous);
          }}
        >
          Previous page
        </button>
        <button
          type="button"
          disabled={!list.data?.nextCursor}
          onClick={() => {
            setHistory([...history, cursor ?? '']);
            setCursor(list.data?.nextCursor ?? undefined);
          }}
        >
          Next page
        </button>
      </div>
    </section>
  );
}
