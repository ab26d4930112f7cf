import { useState, type FormEvent } from 'react';
import { api, seg, ApiError } from '../api/client';
import type { ImmutabilityRule } from '../api/policies';
import { useApi } from '../components/useApi';
import { useSession } from '../app/session';
import { Card, ErrorBox, Loading } from '../components/ui';
import { DeleteAction } from '../components/DeleteAction';
import { NoticeBox, type Notice } from '../components/Notice';
import { formatDate } from '../components/format';

/** A project's tag immutability rules: list, add, remove. */
export function ImmutabilityCard({ project }: { project: string }) {
  const { can } = useSession();
  const rules = useApi<{ items: ImmutabilityRule[] }>(`/projects/${seg(project)}/immutability-rules`);
  const [draft, setDraft] = useState({ repositories: '**', tags: '' });
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice>();

  const add = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setNotice(undefined);
    try {
      const r = await api<ImmutabilityRule>('POST', `/projects/${seg(project)}/immutability-rules`, draft);
      setNotice({ ok: true, text: `Added rule #${r.id}: tags “${r.tags}” of repositories “${r.repositories}” are immutable.` });
      setDraft({ repositories: '**', tags: '' });
      rules.reload();
    } catch (err) {
      setNotice({ ok: false, text: (err as ApiError).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="Immutable tags">
      <p className="muted pad-x">
        A matching tag, once pushed, keeps pointing at the same image: pushing something else under it, deleting it, or deleting the image it names is refused. Pushing the same image again is fine. Patterns are globs:
        repositories match the path inside the project (<code>**</code> = all, <code>app/*</code>), tags e.g. <code>v*</code> or <code>{'{release-*,stable}'}</code>.
      </p>
      {rules.error && <ErrorBox error={rules.error} onRetry={rules.reload} />}
      {!rules.data && rules.loading && <Loading />}
      {rules.data && rules.data.items.length === 0 && <p className="muted small pad-x">No immutability rules: every tag of {project} can be moved and deleted.</p>}
      {rules.data && rules.data.items.length > 0 && (
        <table className="table" aria-label={`Immutability rules of ${project}`}>
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Repositories</th>
              <th scope="col">Tags</th>
              <th scope="col">Added</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rules.data.items.map((r) => (
              <tr key={r.id}>
                <td>#{r.id}</td>
                <td className="mono">{r.repositories}</td>
                <td className="mono">{r.tags}</td>
                <td>{formatDate(r.createdAt)}</td>
                <td className="actions">
                  {can.admin && (
                    <DeleteAction small path={`/projects/${seg(project)}/immutability-rules/${r.id}`} label={`Delete immutability rule #${r.id}`} title={`Delete rule #${r.id}?`} onDone={rules.reload}>
                      <p>
                        Tags matching <code>{r.tags}</code> in <code>{r.repositories}</code> can be moved and deleted again (unless another rule covers them).
                      </p>
                    </DeleteAction>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {can.admin && (
        <form className="form-row policy-form" onSubmit={add} aria-label="New immutability rule">
          <div className="field">
            <label htmlFor="imm-repositories">Repositories</label>
            <input id="imm-repositories" className="mono" required value={draft.repositories} onChange={(e) => setDraft({ ...draft, repositories: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor="imm-tags">Tags</label>
            <input id="imm-tags" className="mono" required placeholder="v*" value={draft.tags} onChange={(e) => setDraft({ ...draft, tags: e.target.value })} />
          </div>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Adding…' : 'Add rule'}
          </button>
        </form>
      )}
      <NoticeBox notice={notice} />
    </Card>
  );
}
