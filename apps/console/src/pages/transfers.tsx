import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { type Session } from '../main';
import { Confirm, ErrorNote, Notice, useLoad, when } from '../ui';

interface TransferRow {
  id: string;
  guid: string;
  status: string;
  direction: 'incoming' | 'outgoing';
  fromTenantId: string;
  toTenantId: string | null;
  createdAt: string;
  decidedAt: string | null;
}

type Decision = { transfer: TransferRow; action: 'accept' | 'reject' | 'cancel' };

const VERB = { accept: 'Accept', reject: 'Reject', cancel: 'Cancel' } as const;

/** Incoming transfers to accept or reject, outgoing ones to cancel, with a confirmation each. */
export function TransfersPage({ session }: { session: Session }) {
  const [status, setStatus] = useState('pending');
  const [decision, setDecision] = useState<Decision | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [actionError, setActionError] = useState<string | undefined>();
  const list = useLoad(
    () =>
      session.api.get<{ items: TransferRow[] }>(
        `/v1/transfers?limit=100${status ? `&status=${status}` : ''}`,
      ),
    [session, status],
    5000,
  );

  const decide = async () => {
    const { transfer, action } = decision!;
    setDecision(undefined);
    setActionError(undefined);
    try {
      await session.api.post(`/v1/transfers/${transfer.id}/${action}`);
      setNotice(`${VERB[action]}ed: transfer of ${transfer.guid}.`.replace('Cancele', 'Cancelle'));
      list.reload();
    } catch (err) {
      setActionError(err instanceof ApiError ? err.message : String(err));
    }
  };

  return (
    <section aria-labelledby="transfers-title">
      <h1 id="transfers-title">Transfers</h1>
      <Notice text={notice} />
      <ErrorNote error={list.error ?? actionError} />
      <label for="transfer-status">Status</label>
      <select
        id="transfer-status"
        value={status}
        onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}
      >
        <option value="">any</option>
        {['pending', 'accepted', 'rejected', 'cancelled'].map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      <table>
        <caption>Transfers</caption>
        <thead>
          <tr>
            <th scope="col">Direction</th>
            <th scope="col">GUID</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col">Decided</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {(list.data?.items ?? []).map((t) => (
            <tr key={t.id}>
              <td>{t.direction}</td>
              <td class="mono">{t.guid}</td>
              <td>{t.status}</td>
              <td>{when(t.createdAt)}</td>
              <td>{when(t.decidedAt)}</td>
              <td class="actions">
                {t.status === 'pending' && t.direction === 'incoming' && (
                  <>
                    <button type="button" onClick={() => setDecision({ transfer: t, action: 'accept' })}>
                      Accept…
                    </button>
                    <button type="button" onClick={() => setDecision({ transfer: t, action: 'reject' })}>
                      Reject…
                    </button>
                  </>
                )}
                {t.status === 'pending' && t.direction === 'outgoing' && (
                  <button type="button" onClick={() => setDecision({ transfer: t, action: 'cancel' })}>
                    Cancel…
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Confirm
        open={!!decision}
        title={decision ? `${VERB[decision.action]} this transfer?` : ''}
        confirmLabel={decision ? VERB[decision.action] : ''}
        onConfirm={() => void decide()}
        onCancel={() => setDecision(undefined)}
      >
        <p>
          Device <span class="mono">{decision?.transfer.guid}</span>:{' '}
          {decision?.action === 'accept'
            ? 'its voucher is extended to your owner key and the device will onboard with you.'
            : decision?.action === 'reject'
              ? 'the sender keeps the device.'
              : 'you keep the device; the recipient can no longer accept it.'}
        </p>
      </Confirm>
    </section>
  );
}
