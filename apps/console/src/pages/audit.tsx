import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { type AuditEvent, type ChainResult, verifyChain } from '../audit-chain';
import { type Session } from '../main';
import { ErrorNote, useLoad, when } from '../ui';

interface AuditPage {
  items: AuditEvent[];
  nextAfterSeq: string | null;
}

/** Reads the whole chain page by page, in order. */
async function wholeChain(session: Session): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let after: string | null = null;
  do {
    const page: AuditPage = await session.api.get<AuditPage>(
      `/v1/audit/events?limit=500${after ? `&afterSeq=${after}` : ''}`,
    );
    events.push(...page.items);
    after = page.nextAfterSeq;
  } while (after);
  return events;
}

/**
 * The tenant's audit log, newest first, and its hash chain verified here in the browser from the
 * events themselves (not by asking the server whether it is valid).
 */
export function AuditPage({ session }: { session: Session }) {
  const [type, setType] = useState('');
  const recent = useLoad(async () => {
    const events = await wholeChain(session);
    return events.reverse().filter((e) => !type || e.eventType === type);
  }, [session, type]);
  const [result, setResult] = useState<ChainResult | undefined>();
  const [checking, setChecking] = useState(false);
  const [verifyError, setVerifyError] = useState<string | undefined>();

  const verify = async () => {
    setChecking(true);
    setVerifyError(undefined);
    try {
      setResult(await verifyChain(session.who.tenant!.id, await wholeChain(session)));
    } catch (err) {
      setVerifyError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setChecking(false);
    }
  };

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <ErrorNote error={recent.error ?? verifyError} />
      <div class="actions">
        <button type="button" onClick={() => void verify()} disabled={checking}>
          Verify the hash chain
        </button>
        <span role="status" data-testid="chain-result">
          {checking
            ? 'Checking…'
            : result?.valid
              ? `The chain holds: ${result.count} events, each hash recomputed in this browser.`
              : result
                ? `The chain is broken at event ${result.seq}: ${result.reason}.`
                : ''}
        </span>
      </div>
      <label for="event-type">Event type</label>
      <input
        id="event-type"
        value={type}
        onChange={(e) => setType((e.target as HTMLInputElement).value.trim())}
      />
      <table>
        <caption>Events, newest first</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            <th scope="col">Subject</th>
            <th scope="col">Actor</th>
          </tr>
        </thead>
        <tbody>
          {(recent.data ?? []).slice(0, 200).map((e) => (
            <tr key={e.seq}>
              <td>{e.seq}</td>
              <td>{when(e.occurredAt)}</td>
              <td>{e.eventType}</td>
              <td class="mono">{e.subject}</td>
              <td>{e.actor}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
