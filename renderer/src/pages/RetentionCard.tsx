import { useEffect, useState, type FormEvent } from 'react';
import { api, seg, ApiError } from '../api/client';
import type { RetentionPlan, RetentionPolicy, RetentionRule, RetentionRunDetail } from '../api/policies';
import { useApi, useServerEvents } from '../components/useApi';
import { useSession } from '../app/session';
import { Card, ConfirmDialog, ErrorBox, Loading } from '../components/ui';
import { DeleteAction } from '../components/DeleteAction';
import { NoticeBox, type Notice } from '../components/Notice';
import { formatDate, plural } from '../components/format';
import { PlanView, RetentionHistory } from './RetentionRuns';

/** What a rule keeps, in words. */
export function keeps(r: Pick<RetentionRule, 'keepLatest' | 'keepDays'>): string {
  const parts = [r.keepLatest !== null ? `the ${r.keepLatest} most recently pushed` : '', r.keepDays !== null ? `used within ${plural(r.keepDays, 'day')}` : ''].filter(Boolean);
  return parts.join(' or ');
}

const emptyRule = { repositories: '**', tags: '**', keepLatest: '10', keepDays: '', untagged: false };
const num = (s: string) => (s.trim() === '' ? null : Number(s));

/** A project's tag retention: rules, schedule, dry run (the plan), run now, and the history of runs. */
export function RetentionCard({ project }: { project: string }) {
  const { can } = useSession();
  const base = `/projects/${seg(project)}/retention`;
  const policy = useApi<RetentionPolicy>(base);
  const [draft, setDraft] = useState(emptyRule);
  const [schedule, setSchedule] = useState('');
  const [plan, setPlan] = useState<RetentionPlan>();
  const [busy, setBusy] = useState<string>();
  const [confirm, setConfirm] = useState(false);
  const [notice, setNotice] = useState<Notice>();
  const [historyTick, setHistoryTick] = useState(0);
  useEffect(() => setSchedule(policy.data?.schedule ?? ''), [policy.data?.schedule]);
  useServerEvents(['retention.finished'], (_t, data) => {
    if ((data as { project?: string } | undefined)?.project !== project) return;
    policy.reload();
    setHistoryTick((n) => n + 1);
  });

  const act = async (label: string, fn: () => Promise<string | undefined>) => {
    setBusy(label);
    setNotice(undefined);
    try {
      const text = await fn();
      if (text) setNotice({ ok: true, text });
      policy.reload();
    } catch (e) {
      setNotice({ ok: false, text: (e as ApiError).message });
    } finally {
      setBusy(undefined);
    }
  };
  const addRule = (e: FormEvent) => {
    e.preventDefault();
    void act('add', async () => {
      const r = await api<RetentionRule>('POST', `${base}/rules`, { repositories: draft.repositories, tags: draft.tags, keepLatest: num(draft.keepLatest), keepDays: num(draft.keepDays), untagged: draft.untagged });
      setDraft(emptyRule);
      return `Added retention rule #${r.id}.`;
    });
  };
  const saveSchedule = (e: FormEvent) => {
    e.preventDefault();
    void act('schedule', async () => {
      await api('PUT', `${base}/schedule`, { schedule });
      return schedule.trim() ? `Retention of ${project} runs on “${schedule.trim()}”.` : `Retention of ${project} runs only when started here.`;
    });
  };
  const run = (dryRun: boolean) =>
    act(dryRun ? 'dry' : 'run', async () => {
      const r = await api<{ run: RetentionRunDetail; plan: RetentionPlan }>('POST', `${base}/${dryRun ? 'dry-run' : 'run'}`);
      setPlan(r.plan);
      setConfirm(false);
      setHistoryTick((n) => n + 1);
      const what = `${plural(r.run.tagsRemoved, 'tag')} and ${plural(r.run.manifestsRemoved, 'manifest')}`;
      if (r.run.errors.length) throw new ApiError(0, 'retention', `The run removed ${what}; ${plural(r.run.errors.length, 'problem')}: ${r.run.errors[0]}`);
      return dryRun ? `Dry run: a run now would remove ${what}. Nothing was removed.` : `Removed ${what}. Garbage collection frees their storage.`;
    });

  const p = policy.data;
  return (
    <Card title="Tag retention">
      <p className="muted pad-x">
        Rules say which tags to keep: per repository, the most recently pushed ones and/or those pushed or pulled lately. Tags a rule covers but none keeps are removed, with images nothing else uses; tags no rule
        covers and immutable tags are never touched.
      </p>
      {policy.error && <ErrorBox error={policy.error} onRetry={policy.reload} />}
      {!p && policy.loading && <Loading />}
      {p && p.rules.length === 0 && <p className="muted small pad-x">No retention rules: nothing in {project} is removed by retention.</p>}
      {p && p.rules.length > 0 && (
        <table className="table" aria-label={`Retention rules of ${project}`}>
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Repositories</th>
              <th scope="col">Tags</th>
              <th scope="col">Keeps</th>
              <th scope="col">Untagged</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {p.rules.map((r) => (
              <tr key={r.id}>
                <td>#{r.id}</td>
                <td className="mono">{r.repositories}</td>
                <td className="mono">{r.tags}</td>
                <td>{keeps(r)}</td>
                <td>{r.untagged ? 'removed' : 'kept'}</td>
                <td className="actions">
                  {can.admin && (
                    <DeleteAction small path={`${base}/rules/${r.id}`} label={`Delete retention rule #${r.id}`} title={`Delete rule #${r.id}?`} onDone={policy.reload}>
                      <p>Tags this rule covered are no longer removed by it.</p>
                    </DeleteAction>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {p && can.admin && (
        <>
          <h3 className="subhead">Add a rule</h3>
          <form className="form-grid policy-rule-form" onSubmit={addRule} aria-label="New retention rule">
            <div className="field">
              <label htmlFor="ret-repositories">Repositories</label>
              <input id="ret-repositories" className="mono" required value={draft.repositories} onChange={(e) => setDraft({ ...draft, repositories: e.target.value })} />
            </div>
            <div className="field">
              <label htmlFor="ret-tags">Tags</label>
              <input id="ret-tags" className="mono" required value={draft.tags} onChange={(e) => setDraft({ ...draft, tags: e.target.value })} />
            </div>
            <div className="field">
              <label htmlFor="ret-latest">Keep most recent</label>
              <input id="ret-latest" type="number" min={0} placeholder="—" value={draft.keepLatest} onChange={(e) => setDraft({ ...draft, keepLatest: e.target.value })} />
            </div>
            <div className="field">
              <label htmlFor="ret-days">Keep used within (days)</label>
              <input id="ret-days" type="number" min={0} placeholder="—" value={draft.keepDays} onChange={(e) => setDraft({ ...draft, keepDays: e.target.value })} />
            </div>
            <label className="switch span-all">
              <input type="checkbox" checked={draft.untagged} onChange={(e) => setDraft({ ...draft, untagged: e.target.checked })} /> Also remove untagged images of these repositories
            </label>
            <div className="span-all form-actions">
              <button type="submit" className="btn btn-primary" disabled={busy !== undefined}>
                {busy === 'add' ? 'Adding…' : 'Add rule'}
              </button>
            </div>
          </form>
          <h3 className="subhead">Schedule and runs</h3>
          <form className="form-row policy-form" onSubmit={saveSchedule} aria-label="Retention schedule">
            <div className="field">
              <label htmlFor="ret-schedule">Schedule (cron)</label>
              <input id="ret-schedule" className="mono" placeholder="e.g. 0 4 * * * (empty = on demand)" value={schedule} onChange={(e) => setSchedule(e.target.value)} />
            </div>
            <div className="small muted">{p.nextRunAt ? `next run ${formatDate(p.nextRunAt)}` : 'runs only on demand'}</div>
            <button type="submit" className="btn" disabled={busy !== undefined || schedule === p.schedule}>
              Save schedule
            </button>
          </form>
          <div className="form-actions retention-actions">
            <button type="button" className="btn" disabled={busy !== undefined || p.rules.length === 0} onClick={() => void run(true)}>
              {busy === 'dry' ? 'Planning…' : 'Dry run'}
            </button>
            <button type="button" className="btn btn-danger" disabled={busy !== undefined || p.rules.length === 0 || p.running} onClick={() => setConfirm(true)}>
              {p.running ? 'Running…' : 'Run now'}
            </button>
          </div>
          <ConfirmDialog open={confirm} title={`Run retention of ${project} now?`} confirmLabel="Remove tags now" busy={busy === 'run'} onConfirm={() => void run(false)} onCancel={() => setConfirm(false)}>
            <p>Tags and images the rules do not keep are deleted now. Use “Dry run” first to see exactly which.</p>
          </ConfirmDialog>
        </>
      )}
      <NoticeBox notice={notice} />
      {plan && <PlanView plan={plan} />}
      <RetentionHistory project={project} tick={historyTick} />
    </Card>
  );
}
