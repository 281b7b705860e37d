import { useState } from 'preact/hooks';
import { type Session } from '../main';
import { ErrorNote, useLoad, when } from '../ui';

export interface VoucherRow {
  id: string;
  guid: string;
  status: string;
  numEntries: number;
  device?: {
    id: string;
    serialNumber?: string;
    deviceInfo?: string;
    lifecycle?: string;
    currentGuid?: string;
  };
  createdAt: string;
  updatedAt: string;
}

const PAGE = 50;

/**
 * The owner's fleet: devices by lifecycle state and a searchable, paged device list. Devices are
 * read from the voucher ledger (each device with its current voucher), page by page with the API's
 * cursor, so a fleet of any size is never loaded whole.
 */
export function FleetPage({ session }: { session: Session }) {
  const [cursor, setCursor] = useState<string | undefined>();
  const [history, setHistory] = useState<string[]>([]);
  const [lifecycle, setLifecycle] = useState('');
  const [search, setSearch] = useState('');

  const counts = useLoad(
    async () => {
      const rows = await session.api.all<VoucherRow>('/v1/vouchers?limit=500', 5000);
      const byState = new Map<string, number>();
      for (const row of rows) {
        const state = row.device?.lifecycle ?? 'unknown';
        byState.set(state, (byState.get(state) ?? 0) + 1);
      }
      return [...byState.entries()].sort();
    },
    [session],
    5000,
  );

  const list = useLoad(
    () => {
      const query = new URLSearchParams({ limit: String(PAGE) });
      if (cursor) query.set('cursor', cursor);
      if (lifecycle) query.set('lifecycle', lifecycle);
      const needle = search.trim();
      // The ledger filters by exact GUID or serial number; 32 hex digits can only be a GUID.
      if (/^[0-9a-f]{32}$/i.test(needle)) query.set('guid', needle.toLowerCase());
      else if (needle) query.set('serialNumber', needle);
      return session.api.get<{ items: VoucherRow[]; nextCursor?: string | null }>(`/v1/vouchers?${query}`);
    },
    [session, cursor, lifecycle, search],
    5000,
  );

  const filtered = list.data?.items ?? [];

  return (
    <section aria-labelledby="fleet-title">
      <h1 id="fleet-title">Fleet</h1>
      <ErrorNote error={counts.error ?? list.error} />
      <ul class="tiles" aria-label="Devices by lifecycle state">
        {(counts.data ?? []).map(([state, count]) => (
          <li key={state}>
            <span class="count">{count}</span> <span>{state}</span>
          </li>
        ))}
      </ul>
      <form class="filters" onSubmit={(e) => e.preventDefault()} role="search">
        <label for="device-search">Serial number or GUID (exact)</label>
        <input
          id="device-search"
          type="search"
          value={search}
          onInput={(e) => {
            setSearch((e.target as HTMLInputElement).value);
            setCursor(undefined);
            setHistory([]);
          }}
        />
        <label for="lifecycle-filter">Lifecycle</label>
        <select
          id="lifecycle-filter"
          value={lifecycle}
          onChange={(e) => {
            setLifecycle((e.target as HTMLSelectElement).value);
            setCursor(undefined);
            setHistory([]);
          }}
        >
          <option value="">any</option>
          {['manufactured', 'owned', 'onboarded', 'disabled', 'decommissioned'].map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </form>
      <table>
        <caption>Devices</caption>
        <thead>
          <tr>
            <th scope="col">Serial</th>
            <th scope="col">GUID</th>
            <th scope="col">Lifecycle</th>
            <th scope="col">Voucher</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {filtered.map((row) => (
            <tr key={row.id}>
              <td>
                <a href={`#/fleet/devices/${row.guid}`}>{row.device?.serialNumber ?? '(no serial)'}</a>
              </td>
              <td class="mono">{row.guid}</td>
              <td>{row.device?.lifecycle ?? '—'}</td>
              <td>{row.status}</td>
              <td>{when(row.updatedAt)}</td>
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
