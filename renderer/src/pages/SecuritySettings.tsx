import { useEffect, useState, type FormEvent } from 'react';
import { api, seg, ApiError } from '../api/client';
import type { Project } from '../api/types';
import type { AllowlistEntry, ProjectScanSettings, Severity } from '../api/security';
import { useApi } from '../components/useApi';
import { useSession } from '../app/session';
import { Card, ErrorBox, Loading } from '../components/ui';
import { AllowlistEditor } from '../components/AllowlistEditor';

/*
 * The Security page's settings: a project's scanning switches (scan on push, pull gate, what happens to
 * unscanned artifacts, the project's CVE allowlist) and the system allowlist every project honours.
 * Everyone signed in sees them; administrators change them.
 */

const gateChoices: { value: Severity | ''; label: string }[] = [
  { value: '', label: 'Off: never block pulls' },
  { value: 'critical', label: 'Critical' },
  { value: 'high', label: 'High or worse' },
  { value: 'medium', label: 'Medium or worse' },
  { value: 'low', label: 'Low or worse' },
  { value: 'unknown', label: 'Any vulnerability' },
];

type Notice = { ok: boolean; text: string } | undefined;

function NoticeBox({ notice }: { notice: Notice }) {
  if (!notice) return null;
  return (
    <div className={`alert ${notice.ok ? 'alert-ok' : 'alert-error'}`} role={notice.ok ? 'status' : 'alert'}>
      {notice.text}
    </div>
  );
}

export function ProjectScanSettingsCard() {
  const projects = useApi<{ items: Project[] }>('/projects');
  const [project, setProject] = useState<string>();
  const current = project ?? projects.data?.items[0]?.name;
  return (
    <Card title="Scanning and pull gate per project">
      <p className="muted pad-x">
        The pull gate blocks pulls of artifacts whose last scan found vulnerabilities at or above the chosen severity, unless the project’s or the system allowlist covers them. Clients see the worst
        vulnerabilities in the error.
      </p>
      {projects.error && <ErrorBox error={projects.error} onRetry={projects.reload} />}
      {projects.data && projects.data.items.length === 0 && <p className="muted pad">There are no projects yet: they appear with the first push.</p>}
      {projects.data && current && (
        <>
          <div className="field project-picker">
            <label htmlFor="scan-project">Project</label>
            <select id="scan-project" value={current} onChange={(e) => setProject(e.target.value)}>
              {projects.data.items.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
          </div>
          {/* Keyed by project: a new project starts from its own saved settings, never from the last one's draft. */}
          <ProjectSettingsForm key={current} project={current} />
        </>
      )}
    </Card>
  );
}

function ProjectSettingsForm({ project }: { project: string }) {
  const { can } = useSession();
  const settings = useApi<ProjectScanSettings>(`/projects/${seg(project)}/scan-settings`);
  const [draft, setDraft] = useState<ProjectScanSettings>();
  const [dirty, setDirty] = useState(false);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice>();
  useEffect(() => {
    setDraft(settings.data);
    setDirty(false);
  }, [settings.data]);

  const change = (patch: Partial<ProjectScanSettings>) => {
    setDraft((d) => (d ? { ...d, ...patch } : d));
    setDirty(true);
    setNotice(undefined);
  };
  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft) return;
    setBusy(true);
    try {
      await api('PUT', `/projects/${seg(project)}/scan-settings`, draft);
      setNotice({ ok: true, text: `Saved the scanning settings of ${project}.` });
      settings.reload();
    } catch (err) {
      setNotice({ ok: false, text: (err as ApiError).message });
    } finally {
      setBusy(false);
    }
  };
  const readOnly = !can.admin;

  if (settings.error) return <ErrorBox error={settings.error} onRetry={settings.reload} />;
  if (!draft) return <Loading />;
  return (
    <form className="scan-settings" onSubmit={save} aria-label={`Scanning settings of ${project}`}>
      <div className="form-grid">
        <div className="field">
          <label htmlFor="scan-gate">Block pulls at</label>
          <select id="scan-gate" value={draft.gateSeverity ?? ''} disabled={readOnly} onChange={(e) => change({ gateSeverity: (e.target.value || null) as Severity | null })}>
            {gateChoices.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
        <fieldset className="field" disabled={readOnly || draft.gateSeverity === null}>
          <legend>Artifacts not scanned yet</legend>
          <div className="segmented" role="radiogroup" aria-label="Artifacts not scanned yet">
            {(['allow', 'block'] as const).map((v) => (
              <button key={v} type="button" role="radio" aria-checked={draft.gateUnscanned === v} className={draft.gateUnscanned === v ? 'on' : ''} onClick={() => change({ gateUnscanned: v })}>
                {v === 'allow' ? 'Allow pulls' : 'Block pulls'}
              </button>
            ))}
          </div>
        </fieldset>
        <div className="field field-switch">
          <label className="switch">
            <input type="checkbox" role="switch" checked={draft.scanOnPush} disabled={readOnly} onChange={(e) => change({ scanOnPush: e.target.checked })} />
            <span>Scan on push</span>
          </label>
        </div>
      </div>
      <h3 className="subhead">Allowlist of {project}</h3>
      <AllowlistEditor idPrefix="project-allow" entries={draft.allowlist} disabled={readOnly} onChange={(allowlist) => change({ allowlist })} />
      {readOnly ? (
        <p className="muted small">Only administrators change these settings.</p>
      ) : (
        <div className="form-actions save-row">
          <button type="submit" className="btn btn-primary" disabled={busy || !dirty}>
            {busy ? 'Saving…' : 'Save settings'}
          </button>
          {dirty && <span className="muted">Unsaved changes</span>}
        </div>
      )}
      <NoticeBox notice={notice} />
    </form>
  );
}

export function SystemAllowlistCard() {
  const { can } = useSession();
  const list = useApi<{ allowlist: AllowlistEntry[] }>('/scan/allowlist');
  const [draft, setDraft] = useState<AllowlistEntry[]>();
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice>();
  useEffect(() => setDraft(list.data?.allowlist), [list.data]);
  const dirty = draft !== list.data?.allowlist;

  const save = async () => {
    if (!draft) return;
    setBusy(true);
    try {
      await api('PUT', '/scan/allowlist', { allowlist: draft });
      setNotice({ ok: true, text: 'Saved the system allowlist.' });
      list.reload();
    } catch (err) {
      setNotice({ ok: false, text: (err as ApiError).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="System allowlist">
      <p className="muted pad-x">Vulnerabilities on this list never block a pull in any project, until their expiry date: for accepted risks and false positives.</p>
      {list.error && <ErrorBox error={list.error} onRetry={list.reload} />}
      {!draft && list.loading && <Loading />}
      {draft && (
        <>
          <AllowlistEditor
            idPrefix="system-allow"
            entries={draft}
            disabled={!can.admin}
            onChange={(d) => {
              setDraft(d);
              setNotice(undefined);
            }}
          />
          {can.admin && (
            <div className="form-actions save-row">
              <button type="button" className="btn btn-primary" disabled={busy || !dirty} onClick={save}>
                {busy ? 'Saving…' : 'Save allowlist'}
              </button>
              {dirty && <span className="muted">Unsaved changes</span>}
            </div>
          )}
        </>
      )}
      <NoticeBox notice={notice} />
    </Card>
  );
}
