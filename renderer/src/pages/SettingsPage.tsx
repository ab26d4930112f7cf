import { useState } from 'react';
import type { GcResult, GcStatus, Project, SystemInfo } from '../api/types';
import { api, seg, ApiError } from '../api/client';
import { useApi, useServerEvents } from '../components/useApi';
import { useSession } from '../app/session';
import { Badge, Card, ErrorBox, Loading, PageHeader } from '../components/ui';
import { formatBytes, formatDate, timeAgo } from '../components/format';
import { GcScheduleEditor, StorageAndTlsCard } from './SystemSettingsCards';

export function SettingsPage() {
  const { can } = useSession();
  const system = useApi<SystemInfo>('/system');
  return (
    <>
      <PageHeader title="System" subtitle="Storage, TLS, garbage collection and projects." />
      {system.error && <ErrorBox error={system.error} onRetry={system.reload} />}
      {system.data && <StorageCard s={system.data} />}
      {can.admin && <StorageAndTlsCard />}
      <GcCard canRun={can.admin} />
      <ProjectsCard canEdit={can.admin} />
    </>
  );
}

function StorageCard({ s }: { s: SystemInfo }) {
  return (
    <Card title="Storage">
      <dl className="details">
        {s.storage.dataDir && (
          <>
            <dt>Data folder</dt>
            <dd className="mono">{s.storage.dataDir}</dd>
          </>
        )}
        <dt>Stored by Berth</dt>
        <dd>
          {formatBytes(s.storage.berthBytes)} in {s.counts.blobs.toLocaleString()} blobs
        </dd>
        <dt>Disk</dt>
        <dd>
          {formatBytes(s.storage.fsFreeBytes)} free of {formatBytes(s.storage.fsTotalBytes)}
        </dd>
        <dt>Registry address</dt>
        <dd className="mono">
          {s.registryHost} {s.insecure && <Badge tone="amber">plain HTTP</Badge>}
        </dd>
        <dt>Version</dt>
        <dd>Berth {s.version}, up {Math.round(s.uptimeSeconds / 60)} min</dd>
      </dl>
    </Card>
  );
}

function GcCard({ canRun }: { canRun: boolean }) {
  const status = useApi<GcStatus>('/gc');
  const [running, setRunning] = useState<'run' | 'dry' | undefined>();
  const [result, setResult] = useState<GcResult>();
  const [error, setError] = useState<string>();
  useServerEvents(['gc.finished'], () => status.reload());

  const run = async (dryRun: boolean) => {
    setRunning(dryRun ? 'dry' : 'run');
    setError(undefined);
    try {
      setResult(await api<GcResult>('POST', '/gc', { dryRun }));
      status.reload();
    } catch (e) {
      setError((e as ApiError).message);
    } finally {
      setRunning(undefined);
    }
  };
  const last = result ?? status.data?.last?.result;
  return (
    <Card
      title="Garbage collection"
      actions={
        canRun && (
          <div className="btn-group">
            <button type="button" className="btn" disabled={!!running} onClick={() => run(true)}>
              {running === 'dry' ? 'Checking…' : 'Dry run'}
            </button>
            <button type="button" className="btn btn-primary" disabled={!!running} onClick={() => run(false)}>
              {running === 'run' ? 'Collecting…' : 'Run now'}
            </button>
          </div>
        )
      }
    >
      <p className="muted pad-x">
        Deleting a tag or an artifact only unlinks it; garbage collection frees the disk space of layers nothing uses any more. Content younger than{' '}
        {status.data ? `${status.data.graceMinutes} minutes` : 'the grace period'} is kept, so pushes in progress are safe.
      </p>
      {status.error && <ErrorBox error={status.error} onRetry={status.reload} />}
      {!status.data && status.loading && <Loading />}
      {status.data && (
        <dl className="details">
          {!canRun && (
            <>
              <dt>Schedule</dt>
              <dd>{status.data.schedule ? <code>{status.data.schedule}</code> : <span className="muted">off</span>}</dd>
            </>
          )}
          <dt>Last run</dt>
          <dd>{status.data.last ? `${timeAgo(status.data.last.at)} (${formatDate(status.data.last.at)})${status.data.last.actor ? ` by ${status.data.last.actor}` : ''}` : 'never'}</dd>
        </dl>
      )}
      {canRun && <GcScheduleEditor onSaved={status.reload} />}
      {error && (
        <div className="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {last && (
        <div className="gc-result" role="status" aria-live="polite">
          <h3>{last.dryRun ? 'Dry run: a real run would' : 'Last result'}</h3>
          <ul className="kv">
            <li>
              <span>{last.dryRun ? 'free' : 'Freed'}</span> <strong>{formatBytes(last.bytesFreed)}</strong>
            </li>
            <li>
              <span>Blobs removed</span> <strong>{last.blobsRemoved}</strong>
            </li>
            <li>
              <span>Unused links</span> <strong>{last.linksRemoved}</strong>
            </li>
            <li>
              <span>Stale uploads</span> <strong>{last.uploadsRemoved}</strong>
            </li>
            <li>
              <span>Took</span> <strong>{last.durationMs} ms</strong>
            </li>
          </ul>
        </div>
      )}
    </Card>
  );
}

function ProjectsCard({ canEdit }: { canEdit: boolean }) {
  const projects = useApi<{ items: Project[] }>('/projects');
  const [error, setError] = useState<string>();
  const toggle = async (p: Project) => {
    setError(undefined);
    try {
      await api('PATCH', `/projects/${seg(p.name)}`, { public: !p.public });
      projects.reload();
    } catch (e) {
      setError((e as ApiError).message);
    }
  };
  return (
    <Card title="Projects">
      <p className="muted pad-x">
        The first part of a repository name is its project (<code>team/app</code> is in <code>team</code>). Anyone may pull from a public project without signing in.
      </p>
      {error && <div className="alert alert-error" role="alert">{error}</div>}
      {projects.error && <ErrorBox error={projects.error} onRetry={projects.reload} />}
      {projects.data && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Project</th>
              <th scope="col">Kind</th>
              <th scope="col">Anonymous pull</th>
            </tr>
          </thead>
          <tbody>
            {projects.data.items.map((p) => (
              <tr key={p.name}>
                <td className="strong">{p.name}</td>
                <td>{p.kind}</td>
                <td>
                  <label className="switch">
                    <input type="checkbox" role="switch" checked={p.public} disabled={!canEdit} onChange={() => toggle(p)} aria-label={`Anonymous pull from ${p.name}`} />
                    <span>{p.public ? 'public' : 'private'}</span>
                  </label>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
