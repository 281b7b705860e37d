import { useState } from 'preact/hooks';
import { Api, ApiError, type WhoAmI } from '../api';
import { type Session } from '../main';

/** API-key login: the key decides tenant and role, exactly as for the REST API. */
export function LoginPage({ onLogin }: { onLogin: (session: Session) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const api = new Api(key.trim());
    try {
      const who = await api.get<WhoAmI>('/v1/whoami');
      api.remember();
      onLogin({ api, who });
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="login">
      <h1>ZTP console</h1>
      <form onSubmit={submit}>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          required
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          aria-describedby="api-key-help"
        />
        <p id="api-key-help" class="help">
          A tenant API key (ztp_…). On a fresh <code>npm start</code> the demo keys are in
          .data/demo-credentials.txt.
        </p>
        <button type="submit" disabled={busy}>
          Log in
        </button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </main>
  );
}
