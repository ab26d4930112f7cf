import { useState } from 'react';
import type { AuditEntry, MetricsSummary, SystemInfo } from '../api/types';
import { useApi, useServerEvents } from '../components/useApi';
import { useSession } from '../app/session';
import { Link } from '../app/router';
import { Card, EmptyState, ErrorBox, Loading, PageHeader, Stat } from '../components/ui';
import { BarChart } from '../components/BarChart';
import { ActivityList } from '../components/ActivityList';
import { formatBytes, plural } from '../components/format';
import { icons } from '../components/Icons';
import { ProxyTile, ReplicationTile } from '../components/FeatureTiles';

const ranges = [
  { id: '24h', label: '24 hours' },
  { id: '7d', label: '7 days' },
  { id: '30d', label: '30 days' },
] as const;

export function DashboardPage() {
  const { can } = useSession();
  const system = useApi<SystemInfo>('/system');
  const [range, setRange] = useState<(typeof ranges)[number]['id']>('7d');
  const metrics = useApi<MetricsSummary>(`/metrics/summary?range=${range}`);
  const activity = useApi<{ items: AuditEntry[] }>(can.write ? '/audit?limit=8' : null);
  useServerEvents(['manifest.pushed', 'manifest.deleted', 'tag.deleted', 'gc.finished'], () => {
    system.reload();
    activity.reload();
  });

  return (
    <>
      <PageHeader title="Dashboard" subtitle="What this registry holds and how it is used." />
      {system.error && <ErrorBox error={system.error} onRetry={system.reload} />}
      {!system.data && system.loading && <Loading />}
      {system.data && <Overview s={system.data} admin={can.admin} />}
      {system.data?.counts.repositories === 0 && <FirstSteps host={system.data.registryHost} insecure={system.data.insecure} />}
      <div className="grid-2">
        <Card
          title="Pulls over time"
          className="span-2"
          actions={
            <div className="segmented" role="group" aria-label="Time range">
              {ranges.map((r) => (
                <button key={r.id} type="button" className={range === r.id ? 'on' : ''} aria-pressed={range === r.id} onClick={() => setRange(r.id)}>
                  {r.label}
                </button>
              ))}
            </div>
          }
        >
          {metrics.error && <ErrorBox error={metrics.error} onRetry={metrics.reload} />}
          {!metrics.data && metrics.loading && <Loading />}
          {metrics.data && (
            <>
              <div className="chart-summary">
                <strong>{metrics.data.totalPulls.toLocaleString()}</strong> {metrics.data.totalPulls === 1 ? 'pull' : 'pulls'} in the last {ranges.find((r) => r.id === range)!.label}
              </div>
              <BarChart
                points={metrics.data.pulls}
                label={`Pulls per ${metrics.data.stepMs >= 86_400_000 ? 'day' : 'hour'}`}
                formatX={(at) =>
                  metrics.data!.stepMs >= 86_400_000
                    ? new Date(at).toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
                    : new Date(at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
                }
              />
              {metrics.data.topRepositories.length > 0 && (
                <div className="top-list">
                  <h3>Most pulled</h3>
                  <ol>
                    {metrics.data.topRepositories.map((t) => (
                      <li key={t.repository}>
                        <Link to={`/repositories/${t.repository}`}>{t.repository}</Link>
                        <span className="muted">{plural(t.count, 'pull')}</span>
                      </li>
                    ))}
                  </ol>
                </div>
              )}
            </>
          )}
        </Card>
        {can.write && (
          <Card title="Recent activity" className="span-2" actions={<Link to="/activity">View all</Link>}>
            {activity.error && <ErrorBox error={activity.error} onRetry={activity.reload} />}
            {!activity.data && activity.loading && <Loading />}
            {activity.data && activity.data.items.length === 0 && <p className="muted pad">Nothing has happened yet. Pushes, deletions and garbage collections will show up here.</p>}
            {activity.data && activity.data.items.length > 0 && <ActivityList items={activity.data.items} compact />}
          </Card>
        )}
      </div>
    </>
  );
}

function Overview({ s, admin }: { s: SystemInfo; admin: boolean }) {
  const used = s.storage.fsTotalBytes - s.storage.fsFreeBytes;
  const usedPct = s.storage.fsTotalBytes > 0 ? (used / s.storage.fsTotalBytes) * 100 : 0;
  const tone = usedPct > 90 ? 'bad' : usedPct > 75 ? 'warn' : 'ok';
  return (
    <div className="stats">
      <Stat label="Images and artifacts" value={s.counts.manifests.toLocaleString()} hint={plural(s.counts.repositories, 'repository', 'repositories')} />
      <Stat label="Stored by Berth" value={formatBytes(s.storage.berthBytes)} hint={plural(s.counts.blobs, 'blob')} />
      <Stat
        label="Disk free"
        value={formatBytes(s.storage.fsFreeBytes)}
        tone={tone}
        hint={
          <>
            <div className="meter" role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(usedPct)} aria-label="Disk used">
              <div className={`meter-fill meter-${tone}`} style={{ width: `${Math.min(100, usedPct)}%` }} />
            </div>
            {Math.round(usedPct)}% of {formatBytes(s.storage.fsTotalBytes)} used
          </>
        }
      />
      <Stat label="Users" value={s.counts.users.toLocaleString()} hint={`Berth ${s.version}`} />
      {/* The figures come from admin-only endpoints; other users see that the feature is on. */}
      {s.features.proxy && (admin ? <ProxyTile /> : <Stat label="Proxy cache" value="On" />)}
      {s.features.replication && (admin ? <ReplicationTile /> : <Stat label="Replication" value="On" />)}
    </div>
  );
}

function FirstSteps({ host, insecure }: { host: string; insecure: boolean }) {
  return (
    <Card className="first-steps">
      <EmptyState title="Your registry is empty" icon={icons.repositories}>
        <p>Push an image to get started. From any machine that can reach this one:</p>
        <pre className="code-block">
          {`docker tag alpine:latest ${host}/library/alpine:latest
docker push ${host}/library/alpine:latest

# or, without a Docker daemon:
skopeo copy${insecure ? ' --dest-tls-verify=false' : ''} docker://docker.io/library/alpine:latest docker://${host}/library/alpine:latest`}
        </pre>
        {insecure && (
          <p className="muted">
            Berth is served over plain HTTP here: add <code>{host}</code> to <code>insecure-registries</code> in Docker's <code>daemon.json</code>, or use <code>--tls-verify=false</code> with podman.
          </p>
        )}
      </EmptyState>
    </Card>
  );
}
