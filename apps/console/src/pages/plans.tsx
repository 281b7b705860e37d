import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { type Session } from '../main';
import { ErrorNote, Notice, useLoad, when } from '../ui';

interface Plan {
  id: string;
  name: string;
  selector: { kind: string; groupId?: string; pattern?: string; guid?: string; serial?: string };
  priority: number;
  revision: number;
  content: unknown;
  updatedAt: string;
}

interface Group {
  id: string;
  name: string;
  members?: string[];
}

/** The part of a plan an operator edits: what the API takes on create and update. */
function editable(plan: Plan): string {
  const { name, selector, priority, content } = plan;
  return JSON.stringify({ name, selector, priority, content }, null, 2);
}

const NEW_PLAN = JSON.stringify(
  {
    name: 'all devices',
    selector: { kind: 'device-info', pattern: '*' },
    priority: 100,
    content: { commands: [] },
  },
  null,
  2,
);

function selects(plan: Plan): string {
  const s = plan.selector;
  if (s.kind === 'group') return `group ${s.groupId}`;
  if (s.kind === 'device-info') return `DeviceInfo matching ${s.pattern}`;
  return `device ${s.guid ?? s.serial}`;
}

/**
 * Configuration plans (edited as the JSON the API takes, validated by the API, whose problems are
 * shown field by field) and device groups.
 */
export function PlansPage({ session }: { session: Session }) {
  const plans = useLoad(() => session.api.all<Plan>('/v1/onboarding/plans'), [session]);
  const groups = useLoad(() => session.api.all<Group>('/v1/onboarding/groups'), [session]);
  const [editing, setEditing] = useState<{ id?: string; text: string } | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [actionError, setActionError] = useState<string | undefined>();

  const save = async (event: Event) => {
    event.preventDefault();
    if (!editing) return;
    setActionError(undefined);
    let body: unknown;
    try {
      body = JSON.parse(editing.text);
    } catch (err) {
      setActionError(`The plan is not valid JSON: ${(err as Error).message}`);
      return;
    }
    try {
      const saved = editing.id
        ? await session.api.request<Plan>('PUT', `/v1/onboarding/plans/${editing.id}`, body)
        : await session.api.post<Plan>('/v1/onboarding/plans', body);
      setNotice(
        `Plan "${saved.name}" saved as revision ${saved.revision}: devices onboarding from now on get it.`,
      );
      setEditing(undefined);
      plans.reload();
    } catch (err) {
      setActionError(err instanceof ApiError ? err.message : String(err));
    }
  };

  return (
    <section aria-labelledby="plans-title">
      <h1 id="plans-title">Plans and groups</h1>
      <Notice text={notice} />
      <ErrorNote error={plans.error ?? groups.error ?? actionError} />
      <table>
        <caption>Configuration plans</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Selects</th>
            <th scope="col">Priority</th>
            <th scope="col">Revision</th>
            <th scope="col">Updated</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {(plans.data ?? []).map((p) => (
            <tr key={p.id}>
              <td>{p.name}</td>
              <td>{selects(p)}</td>
              <td>{p.priority}</td>
              <td>{p.revision}</td>
              <td>{when(p.updatedAt)}</td>
              <td>
                <button type="button" onClick={() => setEditing({ id: p.id, text: editable(p) })}>
                  Edit
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" onClick={() => setEditing({ text: NEW_PLAN })}>
        New plan
      </button>
      {editing && (
        <form class="editor" onSubmit={save} aria-label="Plan editor">
          <label for="plan-content">Plan (JSON: name, selector, priority, content)</label>
          <textarea
            id="plan-content"
            rows={14}
            spellcheck={false}
            value={editing.text}
            onInput={(e) => setEditing({ ...editing, text: (e.target as HTMLTextAreaElement).value })}
          />
          <div class="actions">
            <button type="button" onClick={() => setEditing(undefined)}>
              Cancel
            </button>
            <button type="submit">Save plan</button>
          </div>
        </form>
      )}
      <table>
        <caption>Device groups</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Plans</th>
            <th scope="col">Members</th>
          </tr>
        </thead>
        <tbody>
          {(groups.data ?? []).map((g) => (
            <tr key={g.id}>
              <td>{g.name}</td>
              <td>
                {(plans.data ?? [])
                  .filter((p) => p.selector.kind === 'group' && p.selector.groupId === g.id)
                  .map((p) => p.name)
                  .join(', ') || '—'}
              </td>
              <td>{g.members?.length ?? 0}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
