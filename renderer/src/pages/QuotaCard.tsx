import { useEffect, useState, type FormEvent } from 'react';
import { api, seg, ApiError } from '../api/client';
import type { ProjectQuota } from '../api/policies';
import { useApi, useServerEvents } from '../components/useApi';
import { useSession } from '../app/session';
import { Card, ErrorBox, Loading } from '../components/ui';
import { NoticeBox, type Notice } from '../components/Notice';
import { formatBytes } from '../components/format';

/** Decimal units, as formatBytes shows sizes everywhere in the GUI. */
const units = [
  { label: 'MB', bytes: 1e6 },
  { label: 'GB', bytes: 1e9 },
  { label: 'TB', bytes: 1e12 },
];

/** The form's starting point for a limit: the largest unit that shows it as a whole number. */
function split(limit: number | null): { amount: string; unit: string } {
  if (limit === null) return { amount: '', unit: 'GB' };
  const u = [...units].reverse().find((x) => limit >= x.bytes && limit % x.bytes === 0) ?? units[0]!;
  return { amount: String(limit / u.bytes), unit: u.label };
}

export function QuotaCard({ project }: { project: string }) {
  const { can } = useSession();
  const quota = useApi<ProjectQuota>(`/projects/${seg(project)}/quota`);
  const [draft, setDraft] = useState(split(null));
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice>();
  useEffect(() => {
    if (quota.data) setDraft(split(quota.data.limitBytes));
  }, [quota.data?.limitBytes]);
  useServerEvents(['manifest.pushed', 'manifest.deleted', 'gc.finished', 'retention.finished'], () => quota.reload());

  const save = async (limitBytes: number | null) => {
    setBusy(true);
    setNotice(undefined);
    try {
      await api('PUT', `/projects/${seg(project)}/quota`, { limitBytes });
      setNotice({ ok: true, text: limitBytes === null ? `${project} has no storage limit now.` : `The storage limit of ${project} is ${formatBytes(limitBytes)}.` });
      quota.reload();
    } catch (e) {
      setNotice({ ok: false, text: (e as ApiError).message });
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const unit = units.find((u) => u.label === draft.unit)!;
    const n = Number(draft.amount);
    if (!draft.amount.trim() || !Number.isFinite(n) || n < 0) {
      setNotice({ ok: false, text: 'Enter the limit as a number (or remove the limit).' });
      return;
    }
    void save(Math.round(n * unit.bytes));
  };

  const q = quota.data;
  const pct = q && q.limitBytes ? Math.min(100, (100 * q.usedBytes) / q.limitBytes) : 0;
  return (
    <Card title="Storage quota">
      <p className="muted pad-x">
        Pushes, mounts, imports and replication into {project} that would take it past its limit are refused (clients see “quota of project {project} exceeded”). Usage counts every distinct layer, config and manifest
        once; deleted content is released when garbage collection runs.
      </p>
      {quota.error && <ErrorBox error={quota.error} onRetry={quota.reload} />}
      {!q && quota.loading && <Loading />}
      {q && (
        <div className="quota">
          <div className="quota-figures">
            <strong>{formatBytes(q.usedBytes)}</strong> {q.limitBytes === null ? 'used · no limit' : `of ${formatBytes(q.limitBytes)} used (${pct.toFixed(pct < 10 ? 1 : 0)}%)`}
          </div>
          {q.limitBytes !== null && (
            <div className="meter" role="progressbar" aria-label={`Storage used by ${project}`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)}>
              <div className={`meter-fill ${pct >= 95 ? 'meter-bad' : pct >= 80 ? 'meter-warn' : ''}`} style={{ width: `${Math.max(pct, 1)}%` }} />
            </div>
          )}
          {can.admin ? (
            <form className="quota-form" onSubmit={submit} aria-label={`Storage limit of ${project}`}>
              <div className="field">
                <label htmlFor="quota-amount">Limit</label>
                <input id="quota-amount" type="number" min={0} step="any" value={draft.amount} placeholder="no limit" onChange={(e) => setDraft({ ...draft, amount: e.target.value })} />
              </div>
              <div className="field">
                <label htmlFor="quota-unit">Unit</label>
                <select id="quota-unit" value={draft.unit} onChange={(e) => setDraft({ ...draft, unit: e.target.value })}>
                  {units.map((u) => (
                    <option key={u.label}>{u.label}</option>
                  ))}
                </select>
              </div>
              <button type="submit" className="btn btn-primary" disabled={busy}>
                {busy ? 'Saving…' : 'Set limit'}
              </button>
              {q.limitBytes !== null && (
                <button type="button" className="btn" disabled={busy} onClick={() => void save(null)}>
                  Remove limit
                </button>
              )}
            </form>
          ) : (
            <p className="muted small">Only administrators change the limit.</p>
          )}
        </div>
      )}
      <NoticeBox notice={notice} />
    </Card>
  );
}
