import { useEffect, useState } from 'react';
import { seg } from '../api/client';
import type { RetentionPlan, RetentionRunDetail, RetentionRunSummary } from '../api/policies';
import { useApi } from '../components/useApi';
import { Badge, ErrorBox } from '../components/ui';
import { formatDate, plural, shortDigest } from '../components/format';

const statusTone = { running: 'blue', succeeded: 'green', failed: 'red', interrupted: 'amber' } as const;

/** A retention plan as it is: per repository, what goes (and why) and what stays (and why). */
export function PlanView({ plan }: { plan: RetentionPlan }) {
  const t = plan.totals;
  return (
    <section className="preview retention-plan" aria-label="Retention plan">
      <h3>
        Plan of {formatDate(plan.createdAt)}: {plural(t.tagsRemoved, 'tag')} and {plural(t.manifestsRemoved, 'manifest')} to remove, {plural(t.tagsKept, 'tag')} kept
      </h3>
      {plan.repositories.length === 0 && <p className="muted small">No repository of {plan.project} is covered by a rule.</p>}
      {plan.repositories.map((r) => {
        const rows = [
          ...r.removeManifests.map((m) => ({ key: m.digest, what: m.tags.length ? m.tags.map((x) => `:${x}`).join(' ') : `@${shortDigest(m.digest)}`, action: 'remove image', reason: m.reason })),
          ...r.removeTags.map((x) => ({ key: `t:${x.tag}`, what: `:${x.tag}`, action: 'remove tag', reason: x.reason })),
          ...r.kept.map((x) => ({ key: `k:${x.tag}`, what: `:${x.tag}`, action: 'keep', reason: x.reason })),
        ];
        return (
          <table key={r.repository} className="table compact" aria-label={`Plan for ${r.repository}`}>
            <caption className="mono strong">{r.repository}</caption>
            <tbody>
              {rows.map((row) => (
                <tr key={row.key}>
                  <td className="mono small">{row.what}</td>
                  <td>
                    <Badge tone={row.action === 'keep' ? 'green' : row.action === 'remove tag' ? 'amber' : 'red'}>{row.action}</Badge>
                  </td>
                  <td className="small muted">{row.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        );
      })}
    </section>
  );
}

/** The last runs of a project, newest first; a row opens to what it removed. */
export function RetentionHistory({ project, tick }: { project: string; tick: number }) {
  const runs = useApi<{ items: RetentionRunSummary[] }>(`/projects/${seg(project)}/retention/runs?limit=10`);
  const [open, setOpen] = useState<number>();
  const { reload } = runs;
  useEffect(() => {
    if (tick > 0) reload();
  }, [tick, reload]);
  return (
    <>
      <h3 className="subhead">History</h3>
      {runs.error && <ErrorBox error={runs.error} onRetry={runs.reload} />}
      {runs.data && runs.data.items.length === 0 && <p className="muted small">No runs yet.</p>}
      {runs.data && runs.data.items.length > 0 && (
        <table className="table table-hover" aria-label={`Retention runs of ${project}`}>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Started</th>
              <th scope="col">How</th>
              <th scope="col">Status</th>
              <th scope="col">Removed</th>
            </tr>
          </thead>
          <tbody>
            {runs.data.items.map((r) => (
              <RunRow key={r.id} project={project} run={r} open={open === r.id} onToggle={() => setOpen(open === r.id ? undefined : r.id)} />
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function RunRow({ project, run: r, open, onToggle }: { project: string; run: RetentionRunSummary; open: boolean; onToggle: () => void }) {
  const detail = useApi<RetentionRunDetail>(open ? `/projects/${seg(project)}/retention/runs/${r.id}` : null);
  return (
    <>
      <tr className="clickable" onClick={onToggle}>
        <td>
          <button type="button" className="btn btn-ghost btn-small" aria-expanded={open} onClick={(e) => { e.stopPropagation(); onToggle(); }}>
            #{r.id}
          </button>
        </td>
        <td>{formatDate(r.startedAt)}</td>
        <td>
          {r.trigger === 'schedule' ? 'schedule' : `by ${r.actor ?? 'unknown'}`} {r.dryRun && <Badge tone="violet">dry run</Badge>}
        </td>
        <td>
          <Badge tone={statusTone[r.status]}>{r.status}</Badge>
        </td>
        <td>
          {r.dryRun ? 'would remove ' : ''}
          {plural(r.tagsRemoved, 'tag')}, {plural(r.manifestsRemoved, 'manifest')}
          {r.errors.length > 0 && <span className="error-text"> · {plural(r.errors.length, 'error')}</span>}
        </td>
      </tr>
      {open && (
        <tr className="detail-row">
          <td colSpan={5}>
            {r.errors.map((e) => (
              <div key={e} className="error-text small">
                {e}
              </div>
            ))}
            {detail.error && <ErrorBox error={detail.error} onRetry={detail.reload} />}
            {detail.data && detail.data.items.length === 0 && <p className="muted small">Nothing {r.dryRun ? 'would be' : 'was'} removed.</p>}
            {detail.data && detail.data.items.length > 0 && (
              <ul className="mono small plain-list">
                {detail.data.items.map((i) => (
                  <li key={i}>{i}</li>
                ))}
              </ul>
            )}
          </td>
        </tr>
      )}
    </>
  );
}
