import { useEffect, useState, type FormEvent } from 'react';
import type { SystemSettings } from '../api/types';
import { api, ApiError } from '../api/client';
import { useApi } from '../components/useApi';
import { Badge, Card, ErrorBox, Loading } from '../components/ui';

const presets: { label: string; cron: string }[] = [
  { label: 'Daily at 03:00', cron: '0 3 * * *' },
  { label: 'Sundays at 03:00', cron: '0 3 * * 0' },
  { label: 'Every 6 hours', cron: '0 */6 * * *' },
];

/** The GC schedule, editable by admins: a cron expression applied at once and kept across restarts. */
export function GcScheduleEditor({ onSaved }: { onSaved: () => void }) {
  const settings = useApi<SystemSettings>('/system/settings');
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [saved, setSaved] = useState<string>();
  useEffect(() => {
    if (settings.data) setValue(settings.data.gc.schedule);
  }, [settings.data]);

  const save = async (gcSchedule: string | null) => {
    setBusy(true);
    setError(undefined);
    setSaved(undefined);
    try {
      const r = await api<SystemSettings['gc']>('PATCH', '/system/settings', { gcSchedule });
      setValue(r.schedule);
      setSaved(r.schedule ? `Scheduled GC now runs at “${r.schedule}”.` : 'Scheduled GC is off.');
      settings.reload();
      onSaved();
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save(value.trim());
  };
  if (settings.error) return <ErrorBox error={settings.error} onRetry={settings.reload} />;
  if (!settings.data) return <Loading />;
  const gc = settings.data.gc;
  return (
    <form className="gc-schedule" onSubmit={submit}>
      <div className="form-row">
        <div className="field">
          <label htmlFor="gc-schedule">Schedule (cron)</label>
          <input id="gc-schedule" className="mono" value={value} placeholder="0 3 * * *" onChange={(e) => setValue(e.target.value)} aria-invalid={!!error} aria-describedby="gc-schedule-err" autoComplete="off" />
          <span id="gc-schedule-err" className="field-error">
            {error ? error.message.replace(/^body \w+: /, '') : 'minute hour day month weekday; empty = off'}
          </span>
        </div>
        <div className="field">
          <label htmlFor="gc-preset">Common choices</label>
          <select id="gc-preset" value="" onChange={(e) => e.target.value && setValue(e.target.value)}>
            <option value="">Pick one…</option>
            {presets.map((p) => (
              <option key={p.cron} value={p.cron}>
                {p.label}
              </option>
            ))}
          </select>
          <span className="field-error" />
        </div>
        <div className="field field-button">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save schedule'}
          </button>
          <span className="field-error" />
        </div>
      </div>
      <p className="muted pad-x">
        {gc.source === 'settings' ? (
          <>
            Set here; overrides the config file ({gc.configDefault ? <code>{gc.configDefault}</code> : 'off'}).{' '}
            <button type="button" className="btn btn-small" disabled={busy} onClick={() => save(null)}>
              Use the config file's schedule
            </button>
          </>
        ) : (
          'From the config file (gc.schedule). Saving here overrides it.'
        )}
      </p>
      {saved && (
        <div className="alert alert-ok" role="status">
          {saved}
        </div>
      )}
    </form>
  );
}

/** Where Berth keeps its data and how it is reached (admins only). */
export function StorageAndTlsCard() {
  const settings = useApi<SystemSettings>('/system/settings');
  const s = settings.data;
  return (
    <Card title="Storage paths and TLS">
      {settings.error && <ErrorBox error={settings.error} onRetry={settings.reload} />}
      {!s && settings.loading && <Loading />}
      {s && (
        <dl className="details">
          <dt>Database</dt>
          <dd className="mono">{s.storage.database}</dd>
          <dt>Blobs</dt>
          <dd className="mono">{s.storage.blobs}</dd>
          <dt>Uploads in progress</dt>
          <dd className="mono">{s.storage.uploads}</dd>
          <dt>Encrypted secrets</dt>
          <dd className="mono">{s.storage.secrets}</dd>
          <dt>Import drop folder</dt>
          <dd className="mono">{s.storage.dropFolder ?? <span className="muted">not watched</span>}</dd>
          <dt>External URL</dt>
          <dd className="mono">{s.tls.externalUrl ?? <span className="muted">not set (derived from each request)</span>}</dd>
          <dt>TLS</dt>
          <dd>
            {s.tls.servedOverHttps ? <Badge tone="green">https in front</Badge> : <Badge tone="amber">plain HTTP</Badge>} <span className="muted">{s.tls.note}</span>
          </dd>
        </dl>
      )}
    </Card>
  );
}
