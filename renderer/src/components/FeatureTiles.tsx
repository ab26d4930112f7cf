import { useApi, useServerEvents } from './useApi';
import { Link } from '../app/router';
import { Stat } from './ui';
import { formatBytes, formatDate, plural, timeAgo } from './format';

/*
 * The dashboard's proxy cache and replication tiles (issue 7): hit rate, bytes served from cache against
 * bytes fetched upstream, upstream health; each rule's last run and next run. Both read the admin API the
 * feature pages use, so the figures are the same as there (counters since the server started).
 */

interface ProxySummary {
  project: string;
  registry: string;
  hits: number;
  misses: number;
  servedBytes: number;
  upstreamBytes: number;
  upstream: { state: string; reason: string | null; offline: boolean };
}

interface RuleSummary {
  rule: { name: string; schedule?: string; enabled?: boolean };
  running: boolean;
  lastExecution: { status: 'running' | 'succeeded' | 'failed' | 'interrupted'; startedAt: number; finishedAt: number | null } | null;
  nextRunAt: number | null;
}

const upstreamLabel: Record<string, { text: string; badge: string }> = {
  closed: { text: 'up', badge: 'badge-green' },
  'half-open': { text: 'retrying', badge: 'badge-amber' },
  open: { text: 'down', badge: 'badge-red' },
  offline: { text: 'cache only', badge: 'badge-blue' },
};

export function ProxyTile() {
  const proxies = useApi<{ items: ProxySummary[] }>('/proxies');
  useServerEvents(['proxy.upstream'], () => proxies.reload());
  const link = <Link to="/proxy">Open proxy caches</Link>;
  if (!proxies.data) return <Stat label="Proxy cache" value="…" hint={proxies.error ? 'could not load' : link} />;
  const items = proxies.data.items;
  if (items.length === 0) return <Stat label="Proxy cache" value="None" hint={<>No proxy caches yet · <Link to="/proxy">Add one</Link></>} />;
  const hits = items.reduce((n, p) => n + p.hits, 0);
  const misses = items.reduce((n, p) => n + p.misses, 0);
  const served = items.reduce((n, p) => n + p.servedBytes, 0);
  // Upstream bytes are counted per registry; projects sharing a registry must not count them twice.
  const upstreams = new Map(items.map((p) => [p.registry, p]));
  const fetched = [...upstreams.values()].reduce((n, p) => n + p.upstreamBytes, 0);
  const down = [...upstreams.values()].filter((p) => p.upstream.state === 'open');
  return (
    <Stat
      label="Proxy cache hit rate"
      value={hits + misses > 0 ? `${Math.round((hits / (hits + misses)) * 100)} %` : '—'}
      tone={down.length > 0 ? 'bad' : undefined}
      hint={
        <>
          <div>{plural(hits, 'hit')} · {plural(misses, 'miss', 'misses')}</div>
          <div>
            {formatBytes(served)} served · {formatBytes(fetched)} from upstream · <strong>{formatBytes(Math.max(0, served - fetched))} saved</strong>
          </div>
          <div className="tile-list" aria-label="Upstream health">
            {[...upstreams.values()].map((p) => {
              const l = upstreamLabel[p.upstream.state] ?? { text: p.upstream.state, badge: '' };
              return (
                <span key={p.registry} className={`badge ${l.badge}`} title={p.upstream.reason ?? undefined}>
                  {p.registry}: {l.text}
                </span>
              );
            })}
          </div>
          {link}
        </>
      }
    />
  );
}

const statusBadge: Record<string, string> = { succeeded: 'badge-green', failed: 'badge-red', interrupted: 'badge-amber', running: 'badge-blue' };

export function ReplicationTile() {
  const rules = useApi<{ items: RuleSummary[] }>('/replication/rules');
  useServerEvents(['replication.finished', 'replication.started'], () => rules.reload());
  const link = <Link to="/replication">Open replication</Link>;
  if (!rules.data) return <Stat label="Replication" value="…" hint={rules.error ? 'could not load' : link} />;
  const items = rules.data.items;
  if (items.length === 0) return <Stat label="Replication" value="None" hint={<>No replication rules yet · <Link to="/replication">Add one</Link></>} />;
  const failed = items.filter((r) => r.lastExecution?.status === 'failed');
  return (
    <Stat
      label="Replication"
      value={failed.length > 0 ? `${failed.length} failed` : plural(items.length, 'rule')}
      tone={failed.length > 0 ? 'bad' : undefined}
      hint={
        <>
          <ul className="tile-rules" aria-label="Replication rules">
            {items.map((r) => {
              const last = r.lastExecution;
              return (
                <li key={r.rule.name}>
                  <strong>{r.rule.name}</strong>{' '}
                  {last ? (
                    <span className={`badge ${statusBadge[last.status] ?? ''}`}>
                      {last.status} {timeAgo(last.finishedAt ?? last.startedAt)}
                    </span>
                  ) : (
                    <span className="badge">never run</span>
                  )}
                  <div>
                    {r.rule.enabled === false
                      ? 'disabled'
                      : r.nextRunAt
                        ? `next ${formatDate(r.nextRunAt)}`
                        : r.rule.schedule
                          ? `schedule ${r.rule.schedule}`
                          : 'no schedule'}
                  </div>
                </li>
              );
            })}
          </ul>
          {link}
        </>
      }
    />
  );
}
