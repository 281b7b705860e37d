import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { type Session } from '../main';
import { Confirm, ErrorNote, Notice, useLoad, when } from '../ui';

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

interface FileResult {
  name: string;
  state: 'waiting' | 'uploading' | 'imported' | 'refused';
  message?: string;
}

/** PEM files by their extension or their first bytes; everything else is sent as CBOR. */
function contentTypeOf(name: string, bytes: Uint8Array): string {
  if (/\.pem$/i.test(name) || new TextDecoder().decode(bytes.slice(0, 11)) === '-----BEGIN ')
    return 'application/x-pem-file';
  return 'application/cbor';
}

/**
 * Vouchers: import by drag and drop or file picker (one request per file, so each file gets its own
 * result and the batch its progress), export one as PEM or CBOR, send one to the next owner.
 */
export function VouchersPage({ session }: { session: Session }) {
  const [files, setFiles] = useState<FileResult[]>([]);
  const [dragging, setDragging] = useState(false);
  const [transferOf, setTransferOf] = useState<VoucherRow | undefined>();
  const [recipient, setRecipient] = useState('');
  const [notice, setNotice] = useState<string | undefined>();
  const [actionError, setActionError] = useState<string | undefined>();
  const list = useLoad(
    () => session.api.get<{ items: VoucherRow[]; nextCursor?: string | null }>('/v1/vouchers?limit=100'),
    [session],
  );

  const importFiles = async (picked: File[]) => {
    const results: FileResult[] = picked.map((f) => ({ name: f.name, state: 'waiting' }));
    setFiles([...results]);
    for (const [i, file] of picked.entries()) {
      results[i] = { ...results[i]!, state: 'uploading' };
      setFiles([...results]);
      try {
        const bytes = new Uint8Array(await file.arrayBuffer());
        const res = await session.api.request<{ count: number }>(
          'POST',
          '/v1/vouchers',
          bytes,
          contentTypeOf(file.name, bytes),
        );
        results[i] = { name: file.name, state: 'imported', message: `${res.count} voucher(s) imported` };
      } catch (err) {
        results[i] = {
          name: file.name,
          state: 'refused',
          message: err instanceof ApiError ? err.message : String(err),
        };
      }
      setFiles([...results]);
    }
    list.reload();
  };

  const send = async () => {
    const voucher = transferOf!;
    setTransferOf(undefined);
    setActionError(undefined);
    try {
      await session.api.post(`/v1/vouchers/${voucher.id}/transfers`, { to: { tenant: recipient.trim() } });
      setNotice(
        `Transfer of ${voucher.guid} sent to ${recipient.trim()}: it waits for the recipient to accept.`,
      );
      list.reload();
    } catch (err) {
      setActionError(err instanceof ApiError ? err.message : String(err));
    }
  };

  const done = files.filter((f) => f.state === 'imported' || f.state === 'refused').length;
  return (
    <section aria-labelledby="vouchers-title">
      <h1 id="vouchers-title">Vouchers</h1>
      <Notice text={notice} />
      <ErrorNote error={list.error ?? actionError} />
      <div
        class={dragging ? 'dropzone dragging' : 'dropzone'}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          void importFiles([...(e.dataTransfer?.files ?? [])]);
        }}
      >
        <p>Drop voucher files (PEM or CBOR) here, or</p>
        <label for="voucher-files" class="button">
          Choose files
        </label>
        <input
          id="voucher-files"
          class="visually-hidden"
          type="file"
          multiple
          accept=".pem,.cbor,.fdoov,application/x-pem-file,application/cbor"
          onChange={(e) => void importFiles([...((e.target as HTMLInputElement).files ?? [])])}
        />
      </div>
      {files.length > 0 && (
        <>
          <progress max={files.length} value={done} aria-label="Import progress">
            {done} of {files.length}
          </progress>
          <ul class="results" aria-live="polite">
            {files.map((f) => (
              <li key={f.name} class={f.state}>
                <strong>{f.name}</strong>: {f.state}
                {f.message ? ` — ${f.message}` : ''}
              </li>
            ))}
          </ul>
        </>
      )}
      <table>
        <caption>Your vouchers (newest 100)</caption>
        <thead>
          <tr>
            <th scope="col">GUID</th>
            <th scope="col">Serial</th>
            <th scope="col">Status</th>
            <th scope="col">Entries</th>
            <th scope="col">Received</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {(list.data?.items ?? []).map((v) => (
            <tr key={v.id}>
              <td class="mono">{v.guid}</td>
              <td>{v.device?.serialNumber ?? '—'}</td>
              <td>{v.status}</td>
              <td>{v.numEntries}</td>
              <td>{when(v.createdAt)}</td>
              <td class="actions">
                <button type="button" onClick={() => void download(session, v, 'pem')}>
                  PEM
                </button>
                <button type="button" onClick={() => void download(session, v, 'cbor')}>
                  CBOR
                </button>
                {v.status === 'active' && (
                  <button type="button" onClick={() => setTransferOf(v)}>
                    Transfer…
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Confirm
        open={!!transferOf}
        title="Transfer this voucher?"
        confirmLabel="Send transfer"
        onConfirm={() => void send()}
        onCancel={() => setTransferOf(undefined)}
      >
        <p>
          The device <span class="mono">{transferOf?.guid}</span> will belong to the recipient once it
          accepts. You keep it until then.
        </p>
        <label for="recipient">Recipient tenant (id or slug)</label>
        <input
          id="recipient"
          value={recipient}
          onInput={(e) => setRecipient((e.target as HTMLInputElement).value)}
        />
      </Confirm>
    </section>
  );
}

async function download(session: Session, voucher: VoucherRow, format: 'pem' | 'cbor') {
  const blob = await session.api.download(`/v1/vouchers/${voucher.id}?format=${format}`);
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `${voucher.guid}.${format}`;
  link.click();
  URL.revokeObjectURL(link.href);
}
