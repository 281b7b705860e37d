import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Api, type WhoAmI } from './api';
import { AuditPage } from './pages/audit';
import { ApiKeysPage } from './pages/api-keys';
import { DevicePage } from './pages/device';
import { FleetPage } from './pages/fleet';
import { LoginPage } from './pages/login';
import { PlansPage } from './pages/plans';
import { StationsPage } from './pages/stations';
import { TransfersPage } from './pages/transfers';
import { VouchersPage } from './pages/vouchers';
import { WebhooksPage } from './pages/webhooks';
import './styles.css';

export interface Session {
  api: Api;
  who: WhoAmI;
}

interface Route {
  path: string;
  label: string;
  /** Tenant kinds that see the page (the API would refuse the others anyway). */
  kinds: string[];
}

const ROUTES: Route[] = [
  { path: 'fleet', label: 'Fleet', kinds: ['owner'] },
  { path: 'stations', label: 'Stations', kinds: ['manufacturer'] },
  { path: 'vouchers', label: 'Vouchers', kinds: ['owner', 'reseller', 'manufacturer'] },
  { path: 'transfers', label: 'Transfers', kinds: ['owner', 'reseller', 'manufacturer'] },
  { path: 'plans', label: 'Plans and groups', kinds: ['owner'] },
  { path: 'webhooks', label: 'Webhooks', kinds: ['owner', 'reseller', 'manufacturer'] },
  { path: 'audit', label: 'Audit log', kinds: ['owner', 'reseller', 'manufacturer'] },
  { path: 'api-keys', label: 'API keys', kinds: ['owner', 'reseller', 'manufacturer'] },
];

function currentHash(): string {
  return location.hash.replace(/^#\/?/, '');
}

function App() {
  const [session, setSession] = useState<Session | undefined>();
  const [restoring, setRestoring] = useState(true);
  const [hash, setHash] = useState(currentHash());

  useEffect(() => {
    const onHash = () => setHash(currentHash());
    addEventListener('hashchange', onHash);
    const api = Api.restore();
    if (api)
      api
        .get<WhoAmI>('/v1/whoami')
        .then((who) => setSession({ api, who }))
        .catch(() => Api.forget())
        .finally(() => setRestoring(false));
    else setRestoring(false);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  if (restoring) return <p class="loading">Loading…</p>;
  if (!session) return <LoginPage onLogin={setSession} />;

  const kind = session.who.tenant?.kind ?? 'operator';
  const routes = ROUTES.filter((r) => r.kinds.includes(kind));
  const [page, ...rest] = hash.split('/');
  const active = routes.find((r) => r.path === page) ?? routes[0];
  const logout = () => {
    Api.forget();
    setSession(undefined);
    location.hash = '';
  };

  return (
    <>
      <header class="top">
        <span class="brand">ZTP console</span>
        <span class="who">
          {session.who.tenant ? `${session.who.tenant.name} (${kind})` : 'operator'}
          <button type="button" class="link" onClick={logout}>
            Log out
          </button>
        </span>
      </header>
      <nav aria-label="Main">
        <ul>
          {routes.map((r) => (
            <li key={r.path}>
              <a href={`#/${r.path}`} aria-current={r === active ? 'page' : undefined}>
                {r.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main">
        {!active ? (
          <p>This API key belongs to no tenant: the console is for owners, resellers and manufacturers.</p>
        ) : (
          <PageFor path={active.path} rest={rest} session={session} />
        )}
      </main>
    </>
  );
}

function PageFor({ path, rest, session }: { path: string; rest: string[]; session: Session }) {
  switch (path) {
    case 'fleet':
      return rest[0] === 'devices' && rest[1] ? (
        <DevicePage session={session} guid={decodeURIComponent(rest[1])} />
      ) : (
        <FleetPage session={session} />
      );
    case 'stations':
      return <StationsPage session={session} />;
    case 'vouchers':
      return <VouchersPage session={session} />;
    case 'transfers':
      return <TransfersPage session={session} />;
    case 'plans':
      return <PlansPage session={session} />;
    case 'webhooks':
      return <WebhooksPage session={session} />;
    case 'audit':
      return <AuditPage session={session} />;
    case 'api-keys':
      return <ApiKeysPage session={session} />;
    default:
      return null;
  }
}

render(<App />, document.getElementById('app')!);
