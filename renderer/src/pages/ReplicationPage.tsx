import { useEffect, useState, type FormEvent, type ReactElement } from 'react';
import { api, seg, ApiError } from '../api/client';
import { useApi, useServerEvents } from '../components/useApi';
import { Link } from '../app/router';
import { Badge, Card, EmptyState, ErrorBox, Loading, PageHeader } from '../components/ui';
import { DeleteAction } from '../components/DeleteAction';
import { icons } from '../components/Icons';
import { formatBytes, formatDate, plural, shortDigest, timeAgo } from '../components/format';

interface Rule {
  name: string;
  registry: string;
  direction: 'pull' | 'push';
  repositories: string[];
  tags?: string[];
  destination?: string;
  schedule?: string;
  onPush: boolean;
  deleteRemoved: boolean;
  override: boolean;
  enabled: boolean;
}
interface Execution {
  id: number;
  rule: string;
  trigger: string;
  status: 'running' | 'succeeded' | 'failed' | 'interrupted';
  startedAt: number;
  finishedAt: number | null;
  planned: number;
  copied: number;
  skipped: number;
  failed: number;
  bytes: number;
  error: string | null;
}
interface Task { id: number; source: string; destination: string; digest: string | null; action: string; status: 'succeeded' | 'skipped' | 'failed'; bytes: number; blobs: number; durationMs: number; error: string | null }
interface RuleView { rule: Rule; source: 'file' | 'api'; running: boolean; lastExecution: Execution | null }
interface PlanItem { source: { repository: string; tag: string }; destination: { repository: string; tag: string }; digest: string; action: 'copy' | 'skip' | 'conflict'; reason: string }
interface Plan { repositories: string[]; items: PlanItem[]; deletions: { repository: string; tag: string }[]; warnings: string[] }
interface Progress { executionId: number; rule: string; planned: number; done: number; copied: number; failed: number; bytes: number; current?: string }

const statusTone = { running: 'blue', succeeded: 'green', failed: 'red', interrupted: 'amber' } as const;

export function ReplicationPage() {
  const rules = useApi<{ items: RuleView[] }>('/replication/rules');
  const registries = useApi<{ items: { name: string }[] }>('/registries');
  const executions = useApi<{ items: Execution[] }>('/replication/executions?limit=20');
  const [progress, setProgress] = useState<Record<number, Progress>>({});
  const [editing, setEditing] = useState<Rule | 'new'>();
  const [open, setOpen] = useState<number>();
  const [message, setMessage] = useState<string>();
  const [error, setError] = useState<string>();

  useServerEvents(['replication.started', 'replication.progress', 'replication.finished'], (type, data) => {
    const d = data as Progress;
    if (type === 'replication.progress') setProgress((p) => ({ ...p, [d.executionId]: d }));
    else {
      rules.reload();
      executions.reload();
    }
  });

  const run = async (name: string) => {
    setError(undefined);
    try {
      const r = await api<{ executionId: number }>('POST', `/replication/rules/${seg(name)}/run`);
      setMessage(`Started ${name} (run #${r.executionId}).`);
      setOpen(r.executionId);
      rules.reload();
      executions.reload();
    } catch (e) {
      setError((e as ApiError).message);
    }
  };

  const noRegistries = registries.data && registries.data.items.length === 0;
  return (
    <>
      <PageHeader
        title="Replication"
        subtitle="Copy images from headquarters on a schedule, or push this site's builds back. Only what differs is copied."
        actions={!editing && !noRegistries ? <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>New rule</button> : undefined}
      />
      {message && <div className="alert alert-ok" role="status">{message}</div>}
      {error && <div className="alert alert-error" role="alert">{error}</div>}
      {editing && registries.data && (
        <RuleEditor
          initial={editing === 'new' ? undefined : editing}
          registries={registries.data.items.map((r) => r.name)}
          onCancel={() => setEditing(undefined)}
          onSaved={(name) => {
            setEditing(undefined);
            setMessage(`Saved rule ${name}.`);
            rules.reload();
          }}
        />
      )}
      <Card title="Rules">
        {rules.error && <ErrorBox error={rules.error} onRetry={rules.reload} />}
        {!rules.data && rules.loading && <Loading />}
        {noRegistries && (
          <EmptyState title="Add a registry first" icon={icons.replication}>
            <p>Replication copies to or from another registry (headquarters, a second site). <Link to="/registries">Add that registry</Link>, then come back to make a rule.</p>
          </EmptyState>
        )}
        {rules.data && rules.data.items.length === 0 && !noRegistries && (
          <EmptyState title="No replication rules yet" icon={icons.replication}>
            <p>A rule says which repositories and tags to copy, in which direction, and when. Choose <strong>New rule</strong>; the editor shows what it would copy before you save.</p>
          </EmptyState>
        )}
        {rules.data && rules.data.items.length > 0 && (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">What</th>
                <th scope="col">When</th>
                <th scope="col">Last run</th>
                <th scope="col"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {rules.data.items.map(({ rule, source, running, lastExecution: last }) => {
                const live = last && progress[last.id];
                return (
                  <tr key={rule.name}>
                    <td className="strong">
                      {rule.name} {!rule.enabled && <Badge>disabled</Badge>} {source === 'file' && <Badge tone="violet">from config</Badge>}
                    </td>
                    <td>
                      {rule.direction === 'pull' ? `${rule.registry} → here` : `here → ${rule.registry}`}
                      <div className="small muted mono">
                        {rule.repositories.join(', ')}
                        {rule.tags?.length ? ` : ${rule.tags.join(', ')}` : ''}
                        {rule.destination ? ` → ${rule.destination}/` : ''}
                      </div>
                    </td>
                    <td className="small">{rule.schedule ? <span className="mono">{rule.schedule}</span> : 'manual'}{rule.onPush && ' + on push'}</td>
                    <td>
                      {running ? (
                        <RunProgress p={live || undefined} />
                      ) : last ? (
                        <button type="button" className="btn-ghost btn btn-small" onClick={() => setOpen(last.id)}>
                          <Badge tone={statusTone[last.status]}>{last.status}</Badge> {timeAgo(last.finishedAt ?? last.startedAt)}
                        </button>
                      ) : (
                        <span className="muted">never</span>
                      )}
                    </td>
                    <td className="actions">
                      <button type="button" className="btn btn-small btn-primary" disabled={running} onClick={() => run(rule.name)} aria-label={`Run ${rule.name} now`}>
                        {running ? 'Running…' : 'Run now'}
                      </button>
                      <button type="button" className="btn btn-small" disabled={source === 'file'} title={source === 'file' ? 'defined in the config file: change it there' : undefined} onClick={() => setEditing(rule)} aria-label={`Edit ${rule.name}`}>Edit</button>
                      {source === 'api' && <DeleteAction small path={`/replication/rules/${seg(rule.name)}`} label={`Delete rule ${rule.name}`} title={`Delete ${rule.name}?`} onDone={() => { setMessage(`Deleted ${rule.name}.`); rules.reload(); }}>
                        <p>The rule stops running. Images it copied stay where they are; its history stays too.</p>
                      </DeleteAction>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Card>
      <Card title="History">
        {executions.error && <ErrorBox error={executions.error} onRetry={executions.reload} />}
        {executions.data && executions.data.items.length === 0 && <p className="muted pad">No runs yet. Runs appear here as they start, with each artifact copied.</p>}
        {executions.data && executions.data.items.length > 0 && (
          <table className="table table-hover">
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Rule</th>
                <th scope="col">Status</th>
                <th scope="col">Copied</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {executions.data.items.map((e) => (
                <ExecutionRow key={e.id} e={e} open={open === e.id} progress={progress[e.id]} onToggle={() => setOpen(open === e.id ? undefined : e.id)} />
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}

function RunProgress({ p }: { p: Progress | undefined }) {
  const pct = p && p.planned > 0 ? (100 * p.done) / p.planned : 0;
  return (
    <div className="run-progress">
      <div className="meter" role="progressbar" aria-label="Replication progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)}>
        <div className={`meter-fill ${p?.failed ? 'meter-warn' : ''}`} style={{ width: `${Math.max(3, pct)}%` }} />
      </div>
      <div className="small muted">
        {p ? `${p.done} of ${p.planned} · ${formatBytes(p.bytes)}${p.current ? ` · ${p.current}` : ''}` : 'planning…'}
      </div>
    </div>
  );
}

function ExecutionRow({ e, open, progress, onToggle }: { e: Execution; open: boolean; progress: Progress | undefined; onToggle: () => void }) {
  const detail = useApi<{ execution: Execution; tasks: Task[] }>(open ? `/replication/executions/${e.id}` : null);
  const { reload } = detail;
  useEffect(() => {
    if (open) reload();
  }, [open, e.status, progress?.done, reload]);
  return (
    <>
      <tr onClick={onToggle} className="clickable">
        <td>
          <button type="button" className="btn btn-ghost btn-small" aria-expanded={open} onClick={(ev) => { ev.stopPropagation(); onToggle(); }}>
            #{e.id}
          </button>
        </td>
        <td>{e.rule} <span className="small muted">({e.trigger})</span></td>
        <td>{e.status === 'running' ? <RunProgress p={progress} /> : <Badge tone={statusTone[e.status]}>{e.status}</Badge>}</td>
        <td>{e.status === 'running' ? '—' : `${plural(e.copied, 'artifact')} · ${formatBytes(e.bytes)}${e.skipped ? ` · ${e.skipped} up to date` : ''}${e.failed ? ` · ${e.failed} failed` : ''}`}</td>
        <td>{formatDate(e.startedAt)}</td>
      </tr>
      {open && (
        <tr className="detail-row">
          <td colSpan={5}>
            {e.error && <div className="alert alert-error" role="alert">{e.error}</div>}
            {detail.error && <ErrorBox error={detail.error} onRetry={detail.reload} />}
            {detail.data && detail.data.tasks.length === 0 && <p className="muted small">{e.status === 'running' ? 'Working…' : 'Nothing to copy: everything was up to date.'}</p>}
            {detail.data && detail.data.tasks.length > 0 && (
              <table className="table tasks">
                <thead>
                  <tr>
                    <th scope="col">Artifact</th>
                    <th scope="col">Progress</th>
                    <th scope="col">Size</th>
                    <th scope="col">Time</th>
                  </tr>
                </thead>
                <tbody>
                  {detail.data.tasks.map((t) => (
                    <tr key={t.id}>
                      <td>
                        <span className="mono">{t.destination}</span> {t.digest && <span className="small muted mono">{shortDigest(t.digest)}</span>}
                        {t.error && <div className="field-error error-text">{t.error}</div>}
                      </td>
                      <td>
                        <div className="meter" role="progressbar" aria-label={`${t.destination} ${t.status}`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={t.status === 'failed' ? 0 : 100}>
                          <div className={`meter-fill ${t.status === 'failed' ? 'meter-bad' : t.status === 'skipped' ? 'meter-warn' : ''}`} style={{ width: '100%' }} />
                        </div>
                        <span className="small">{t.status === 'skipped' ? 'up to date' : t.status} ({t.action})</span>
                      </td>
                      <td>{formatBytes(t.bytes)} <span className="small muted">{plural(t.blobs, 'blob')}</span></td>
                      <td>{(t.durationMs / 1000).toFixed(1)} s</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </td>
        </tr>
      )}
    </>
  );
}

const lines = (s: string) => s.split(/[\n,]/).map((x) => x.trim()).filter(Boolean);

function RuleEditor({ initial, registries, onCancel, onSaved }: { initial: Rule | undefined; registries: string[]; onCancel: () => void; onSaved: (name: string) => void }) {
  const [f, setF] = useState({
    name: initial?.name ?? '',
    registry: initial?.registry ?? registries[0] ?? '',
    direction: initial?.direction ?? 'pull',
    repositories: initial?.repositories.join('\n') ?? '',
    tags: initial?.tags?.join(', ') ?? '',
    destination: initial?.destination ?? '',
    schedule: initial?.schedule ?? '',
    onPush: initial?.onPush ?? false,
    deleteRemoved: initial?.deleteRemoved ?? false,
    override: initial?.override ?? true,
    enabled: initial?.enabled ?? true,
  });
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const [plan, setPlan] = useState<{ plan?: Plan; error?: string; loading: boolean }>({ loading: false });
  const set = <K extends keyof typeof f>(k: K, v: (typeof f)[K]) => setF((x) => ({ ...x, [k]: v }));

  const body = () => {
    const b: Record<string, unknown> = { name: f.name || 'preview', registry: f.registry, direction: f.direction, repositories: lines(f.repositories), enabled: f.enabled, override: f.override, deleteRemoved: f.deleteRemoved };
    if (lines(f.tags).length) b.tags = lines(f.tags);
    if (f.destination.trim()) b.destination = f.destination.trim();
    if (f.schedule.trim()) b.schedule = f.schedule.trim();
    if (f.direction === 'push') b.onPush = f.onPush;
    return b;
  };

  // Live preview: what the filters match right now, a moment after the last keystroke.
  // The schedule does not change what matches: a half-typed cron expression must not blank the preview.
  const key = JSON.stringify({ ...body(), schedule: undefined });
  useEffect(() => {
    if (lines(f.repositories).length === 0 || !f.registry) {
      setPlan({ loading: false });
      return;
    }
    let cancelled = false;
    setPlan((p) => ({ ...p, loading: true }));
    const t = window.setTimeout(() => {
      api<Plan>('POST', '/replication/preview', JSON.parse(key)).then(
        (p) => !cancelled && setPlan({ plan: p, loading: false }),
        (e: unknown) => !cancelled && setPlan({ error: (e as ApiError).message, loading: false }),
      );
    }, 500);
    return () => {
      cancelled = true;
      window.clearTimeout(t);
    };
  }, [key]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (initial) await api('PUT', `/replication/rules/${seg(initial.name)}`, body());
      else await api('POST', '/replication/rules', body());
      onSaved(f.name);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (k: string) => (error?.field === k || error?.field?.startsWith(`${k}.`) ? error.message.replace(/^body [\w.]+: /, '') : undefined);
  const field = (id: keyof typeof f, label: string, hint: string, input: ReactElement) => (
    <div className="field">
      <label htmlFor={`rule-${id}`}>{label}</label>
      {input}
      <span className={`field-error ${fieldError(id) ? 'error-text' : ''}`}>{fieldError(id) ?? hint}</span>
    </div>
  );
  const copies = plan.plan?.items.filter((i) => i.action === 'copy').length ?? 0;
  return (
    <Card title={initial ? `Edit ${initial.name}` : 'New replication rule'}>
      <form onSubmit={submit} className="form-grid" aria-label="Replication rule">
        {field('name', 'Name', 'e.g. from-hq', <input id="rule-name" required disabled={!!initial} value={f.name} onChange={(e) => set('name', e.target.value)} aria-invalid={!!fieldError('name')} autoComplete="off" />)}
        {field('registry', 'Remote registry', 'defined on the Registries page', (
          <select id="rule-registry" value={f.registry} onChange={(e) => set('registry', e.target.value)}>
            {registries.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
        ))}
        {field('direction', 'Direction', f.direction === 'pull' ? 'remote → this Berth' : 'this Berth → remote', (
          <select id="rule-direction" value={f.direction} onChange={(e) => set('direction', e.target.value as 'pull' | 'push')}>
            <option value="pull">Pull from the remote</option>
            <option value="push">Push to the remote</option>
          </select>
        ))}
        {field('repositories', 'Repositories', 'one per line; globs like apps/**, !apps/internal/** excludes', <textarea id="rule-repositories" rows={3} required value={f.repositories} onChange={(e) => set('repositories', e.target.value)} aria-invalid={!!fieldError('repositories')} />)}
        {field('tags', 'Tags', 'globs, comma-separated; empty = every tag', <input id="rule-tags" value={f.tags} onChange={(e) => set('tags', e.target.value)} placeholder="1.*, latest" aria-invalid={!!fieldError('tags')} />)}
        {field('destination', 'Destination prefix', 'optional, e.g. mirror → mirror/library/busybox', <input id="rule-destination" value={f.destination} onChange={(e) => set('destination', e.target.value)} aria-invalid={!!fieldError('destination')} />)}
        {field('schedule', 'Schedule (cron)', 'e.g. 0 2 * * * = every night at 02:00; empty = manual only', <input id="rule-schedule" value={f.schedule} onChange={(e) => set('schedule', e.target.value)} className="mono" aria-invalid={!!fieldError('schedule')} />)}
        <fieldset className="field checks">
          <legend>Options</legend>
          {f.direction === 'push' && <label className="switch"><input type="checkbox" checked={f.onPush} onChange={(e) => set('onPush', e.target.checked)} /> Replicate each push as it happens</label>}
          <label className="switch"><input type="checkbox" checked={f.override} onChange={(e) => set('override', e.target.checked)} /> Replace a different image under the same tag</label>
          <label className="switch"><input type="checkbox" checked={f.deleteRemoved} onChange={(e) => set('deleteRemoved', e.target.checked)} /> Delete tags the source no longer has</label>
          <label className="switch"><input type="checkbox" checked={f.enabled} onChange={(e) => set('enabled', e.target.checked)} /> Enabled</label>
        </fieldset>
        <div className="span-all form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Saving…' : initial ? 'Save rule' : 'Create rule'}</button>
          <button type="button" className="btn" onClick={onCancel}>Cancel</button>
        </div>
      </form>
      {error && !fieldError(error.field?.split('.')[0] ?? '') && <div className="alert alert-error" role="alert">{error.message}</div>}
      <section className="preview" aria-label="Preview" aria-live="polite">
        <h3>Preview {plan.loading && <span className="spinner" aria-hidden="true" />}</h3>
        {!plan.plan && !plan.error && !plan.loading && <p className="muted small">Fill in the repositories to see what this rule would copy.</p>}
        {plan.error && <p className="error-text small">{plan.error}</p>}
        {plan.plan && (
          <>
            <p className="small">
              Matches {plural(plan.plan.items.length, 'tag')} in {plural(plan.plan.repositories.length, 'repository', 'repositories')}: <strong>{copies} to copy</strong>, {plan.plan.items.length - copies} up to date or in conflict
              {plan.plan.deletions.length > 0 && `, ${plan.plan.deletions.length} to delete`}.
            </p>
            {plan.plan.warnings.map((w) => <p key={w} className="small warn-text">{w}</p>)}
            {plan.plan.items.length > 0 && (
              <table className="table compact">
                <tbody>
                  {plan.plan.items.slice(0, 50).map((i) => (
                    <tr key={`${i.source.repository}:${i.source.tag}`}>
                      <td className="mono small">{i.source.repository}:{i.source.tag}</td>
                      <td className="mono small">→ {i.destination.repository}:{i.destination.tag}</td>
                      <td><Badge tone={i.action === 'copy' ? 'blue' : i.action === 'conflict' ? 'amber' : 'neutral'}>{i.action === 'skip' ? 'up to date' : i.action}</Badge></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {plan.plan.items.length > 50 && <p className="small muted">… and {plan.plan.items.length - 50} more.</p>}
          </>
        )}
      </section>
    </Card>
  );
}
