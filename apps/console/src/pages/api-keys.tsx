import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { type Session } from '../main';
import { Confirm, ErrorNote, Notice, useLoad, when } from '../ui';

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  roles: string[];
  expiresAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

/** The tenant's API keys: create one (its secret shown once), revoke one (with a confirmation). */
export function ApiKeysPage({ session }: { session: Session }) {
  const tenantId = session.who.tenant!.id;
  const keys = useLoad(() => session.api.all<ApiKey>(`/v1/tenants/${tenantId}/api-keys`), [session]);
  const [name, setName] = useState('');
  const [revoking, setRevoking] = useState<ApiKey | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [actionError, setActionError] = useState<string | undefined>();

  const create = async (event: Event) => {
    event.preventDefault();
    setActionError(undefined);
    try {
      const created = await session.api.post<{ key: string }>(`/v1/tenants/${tenantId}/api-keys`, {
        name: name.trim(),
      });
      setNotice(`Key created. Copy it now, it is not shown again: ${created.key}`);
      setName('');
      keys.reload();
    } catch (err) {
      setActionError(err instanceof ApiError ? err.message : String(err));
    }
  };

  const revoke = async () => {
    const key = revoking!;
    setRevoking(undefined);
    try {
      await session.api.request('DELETE', `/v1/tenants/${tenantId}/api-keys/${key.id}`);
      setNotice(`Key "${key.name}" revoked.`);
      keys.reload();
    } catch (err) {
      setActionError(err instanceof ApiError ? err.message : String(err));
    }
  };

  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">API keys</h1>
      <Notice text={notice} />
      <ErrorNote error={keys.error ?? actionError} />
      <table>
        <caption>Keys of this tenant</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Prefix</th>
            <th scope="col">Roles</th>
            <th scope="col">Created</th>
            <th scope="col">State</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {(keys.data ?? []).map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td>
              <td class="mono">{k.prefix}</td>
              <td>{k.roles.join(', ')}</td>
              <td>{when(k.createdAt)}</td>
              <td>{k.revokedAt ? `revoked ${when(k.revokedAt)}` : 'active'}</td>
              <td>
                {!k.revokedAt && (
                  <button type="button" onClick={() => setRevoking(k)}>
                    Revoke…
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="editor" onSubmit={create} aria-labelledby="new-key">
        <h2 id="new-key">New API key</h2>
        <label for="key-name">Name</label>
        <input
          id="key-name"
          required
          value={name}
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Create key</button>
      </form>
      <Confirm
        open={!!revoking}
        title="Revoke this API key?"
        confirmLabel="Revoke"
        onConfirm={() => void revoke()}
        onCancel={() => setRevoking(undefined)}
      >
        <p>Anything using "{revoking?.name}" stops working at once.</p>
      </Confirm>
    </section>
  );
}
