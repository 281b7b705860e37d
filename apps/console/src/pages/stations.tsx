import { type Session } from '../main';
import { ErrorNote, useLoad, when } from '../ui';

interface Station {
  id: string;
  name: string;
  productionLine: string | null;
  apiKeyPrefix: string | null;
  clientCertSha256: string | null;
  allowedCidrs: string[];
  revokedAt: string | null;
  createdAt: string;
}

function authBy(s: Station): string {
  const ways = [
    s.apiKeyPrefix && `station key ${s.apiKeyPrefix}…`,
    s.clientCertSha256 && 'client certificate',
    s.allowedCidrs.length > 0 && `network ${s.allowedCidrs.join(', ')}`,
  ].filter(Boolean);
  return ways.join('; ') || '—';
}

/** A manufacturer's DI stations and the devices they made (the vouchers it holds or handed on). */
export function StationsPage({ session }: { session: Session }) {
  const tenantId = session.who.tenant!.id;
  const stations = useLoad(
    () => session.api.all<Station>(`/v1/manufacturers/${tenantId}/stations`),
    [session],
  );
  return (
    <section aria-labelledby="stations-title">
      <h1 id="stations-title">Stations</h1>
      <ErrorNote error={stations.error} />
      <table>
        <caption>DI stations</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Production line</th>
            <th scope="col">Authenticates by</th>
            <th scope="col">State</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {(stations.data ?? []).map((s) => (
            <tr key={s.id}>
              <td>{s.name}</td>
              <td>{s.productionLine ?? '—'}</td>
              <td>{authBy(s)}</td>
              <td>{s.revokedAt ? `revoked ${when(s.revokedAt)}` : 'active'}</td>
              <td>{when(s.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
