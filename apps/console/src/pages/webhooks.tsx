import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { type Session } from '../main';
import { ErrorNote, Notice, useLoad, when } from '../ui';

interface Webhook {
  id: string;
  url: string;
  description?: string | null;
  eventTypes: string[];
  enabled?: boolean;
  createdAt: string;
}

interface Delivery {
  id: string;
  eventType: string;
  status: string;
  attempts: number;
  lastError?: string | null;
  responseStatus?: number | null;
  createdAt: string;
}

const EVENT_TYPES = [
  'voucher.received',
  'transfer.accepted',
  'transfer.rejected',
  'to0.registered',
  'device.owned',
  'device.onboarded',
  'certificate.issued',
];

/** Webhook endpoints and, for the one picked, its delivery log. */
export function WebhooksPage({ session }: { session: Session }) {
  const hooks = useLoad(() => session.api.all<Webhook>('/v1/webhooks'), [session]);
  const [picked, setPicked] = useState<string | undefined>();
  const deliveries = useLoad(
    () =>
      picked ? session.api.all<Delivery>(`/v1/webhooks/${picked}/deliveries`, 200) : Promise.resolve([]),
    [session, picked],
    picked ? 5000 : undefined,
  );
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState<string[]>(['device.onboarded']);
  const [notice, setNotice] = useState<string | undefined>();
  const [actionError, setActionError] = useState<string | undefined>();

  const create = async (event: Event) => {
    event.preventDefault();
    setActionError(undefined);
    try {
      const created = await session.api.post<Webhook & { secret?: string }>('/v1/webhooks', {
        url: url.trim(),
        eventTypes: types,
      });
      setNotice(
        created.secret
          ? `Webhook created. Its signing secret, shown only now: ${created.secret}`
          : 'Webhook created.',
      );
      setUrl('');
      hooks.reload();
    } catch (err) {
      setActionError(err instanceof ApiError ? err.message : String(err));
    }
  };

  return (
    <section aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">Webhooks</h1>
      <Notice text={notice} />
      <ErrorNote error={hooks.error ?? deliveries.error ?? actionError} />
      <table>
        <caption>Endpoints</caption>
        <thead>
          <tr>
            <th scope="col">URL</th>
            <th scope="col">Events</th>
            <th scope="col">Created</th>
            <th scope="col">Deliveries</th>
          </tr>
        </thead>
        <tbody>
          {(hooks.data ?? []).map((h) => (
            <tr key={h.id}>
              <td class="mono">{h.url}</td>
              <td>{h.eventTypes.join(', ')}</td>
              <td>{when(h.createdAt)}</td>
              <td>
                <button type="button" aria-pressed={picked === h.id} onClick={() => setPicked(h.id)}>
                  Show log
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {picked && (
        <table>
          <caption>Delivery log</caption>
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {(deliveries.data ?? []).map((d) => (
              <tr key={d.id}>
                <td>{d.eventType}</td>
                <td>{d.status}</td>
                <td>{d.attempts}</td>
                <td>{d.lastError ?? '—'}</td>
                <td>{when(d.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="editor" onSubmit={create} aria-labelledby="new-webhook">
        <h2 id="new-webhook">New webhook</h2>
        <label for="webhook-url">URL</label>
        <input
          id="webhook-url"
          type="url"
          required
          value={url}
          onInput={(e) => setUrl((e.target as HTMLInputElement).value)}
        />
        <fieldset>
          <legend>Events</legend>
          {EVENT_TYPES.map((type) => (
            <label key={type} class="inline">
              <input
                type="checkbox"
                checked={types.includes(type)}
                onChange={(e) =>
                  setTypes(
                    (e.target as HTMLInputElement).checked
                      ? [...types, type]
                      : types.filter((t) => t !== type),
                  )
                }
              />{' '}
              {type}
            </label>
          ))}
        </fieldset>
        <button type="submit">Create webhook</button>
      </form>
    </section>
  );
}
