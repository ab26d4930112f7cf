import { useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api/client';
import { severities, type SecurityOverview } from '../api/security';
import { useApi, useServerEvents } from '../components/useApi';
import { useSession } from '../app/session';
import { Link } from '../app/router';
import { Card, ErrorBox, Loading, PageHeader } from '../components/ui';
import { SeverityBadge, SeverityCountsView, severityLabel } from '../components/Severity';
import { formatDate, plural, shortDigest, timeAgo } from '../components/format';
import { ProjectScanSettingsCard, SystemAllowlistCard } from './SecuritySettings';

/**
 * The security overview: findings by severity over every scanned image, scan coverage, the vulnerability
 * database's status, the worst artifacts and the most widespread vulnerabilities; then the pull-gate settings.
 * Refreshes as scans finish (server-sent events), at most twice a second while "scan all" runs.
 */
export function SecurityPage() {
  const { can } = useSession();
  const overview = useApi<SecurityOverview>('/security/overview');
  const [notice, setNotice] = useState<{ ok: boolean; text: string }>();
  const [busy, setBusy] = useState(false);
  const pending = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(pending.current), []);
  useServerEvents(['scan.finished', 'vulndb.loaded', 'manifest.deleted'], () => {
    if (pending.current !== undefined) return;
    pending.current = window.setTimeout(() => {
      pending.current = undefined;
      overview.reload();
    }, 500);
  });

  const scanAll = async () => {
    setBusy(true);
    setNotice(undefined);
    try {
      const r = await api<{ queued: number }>('POST', '/scan/all');
      setNotice({ ok: true, text: `Queued ${plural(r.queued, 'artifact')} for scanning. The figures below update as scans finish.` });
    } catch (e) {
      setNotice({ ok: false, text: (e as ApiError).message });
    } finally {
      setBusy(false);
    }
  };

  const o = overview.data;
  return (
    <>
      <PageHeader
        title="Security"
        subtitle="Known vulnerabilities in stored images, matched against the offline vulnerability database."
        actions={
          can.admin && (
            <button type="button" className="btn btn-primary" onClick={scanAll} disabled={busy}>
              {busy ? 'Queuing…' : 'Scan all'}
            </button>
          )
        }
      />
      {notice && (
        <div className={`alert ${notice.ok ? 'alert-ok' : 'alert-error'}`} role={notice.ok ? 'status' : 'alert'}>
          {notice.text}
        </div>
      )}
      {overview.error && <ErrorBox error={overview.error} onRetry={overview.reload} />}
      {!o && overview.loading && <Loading />}
      {o && (
        <>
          <div className="stats stats-security">
            <div className="stat">
              <div className="stat-label">Scanned</div>
              <div className="stat-value">
                {o.artifacts.scanned} <span className="stat-of">of {o.artifacts.total}</span>
              </div>
              <div className="stat-hint">
                {o.artifacts.failed > 0 && <span className="error-text">{o.artifacts.failed} failed · </span>}
                {o.artifacts.notScanned} not scanned
              </div>
            </div>
            <div className={`stat ${o.artifacts.vulnerable > 0 ? 'stat-warn' : ''}`}>
              <div className="stat-label">Vulnerable</div>
              <div className="stat-value">{o.artifacts.vulnerable}</div>
              <div className="stat-hint">{o.artifacts.vulnerable === 1 ? 'artifact has' : 'artifacts have'} findings</div>
            </div>
            {severities.map((s) => (
              <div key={s} className={`stat stat-sev stat-sev-${s}`}>
                <div className="stat-label">{severityLabel[s]}</div>
                <div className="stat-value">{o.totals[s].toLocaleString()}</div>
                <div className="stat-hint">findings</div>
              </div>
            ))}
          </div>
          <DatabaseCard db={o.database} />
          <Card title="Most vulnerable artifacts">
            {o.mostVulnerable.length === 0 ? (
              <p className="muted pad">{o.artifacts.scanned === 0 ? 'Nothing has been scanned yet.' : 'No scanned artifact has known vulnerabilities.'}</p>
            ) : (
              <table className="table table-hover" aria-label="Most vulnerable artifacts">
                <thead>
                  <tr>
                    <th scope="col">Artifact</th>
                    <th scope="col">Findings</th>
                    <th scope="col">Scanned</th>
                  </tr>
                </thead>
                <tbody>
                  {o.mostVulnerable.map((m) => (
                    <tr key={m.digest}>
                      <td>
                        <Link to={`/artifacts/${m.repository}@${m.digest}`} className="mono strong" title={m.digest}>
                          {m.repository}
                          {m.tags.length > 0 ? `:${m.tags.join(', ')}` : `@${shortDigest(m.digest)}`}
                        </Link>
                        {m.otherRepositories > 0 && <span className="muted small"> and {plural(m.otherRepositories, 'other repository', 'other repositories')}</span>}
                      </td>
                      <td>
                        <SeverityCountsView counts={m.counts} />
                      </td>
                      <td title={formatDate(m.scannedAt)}>{timeAgo(m.scannedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
          <Card title="Most widespread vulnerabilities">
            {o.topVulnerabilities.length === 0 ? (
              <p className="muted pad">No vulnerabilities found.</p>
            ) : (
              <table className="table" aria-label="Most widespread vulnerabilities">
                <thead>
                  <tr>
                    <th scope="col">Vulnerability</th>
                    <th scope="col">Severity</th>
                    <th scope="col">Package</th>
                    <th scope="col">Fixed in</th>
                    <th scope="col" className="num">Artifacts</th>
                  </tr>
                </thead>
                <tbody>
                  {o.topVulnerabilities.map((v) => (
                    <tr key={v.id}>
                      <td className="finding-id">
                        <span className="mono strong">{v.id}</span>
                        {v.aliases.length > 0 && <span className="muted small"> {v.aliases.join(', ')}</span>}
                        {v.summary && (
                          <div className="finding-summary muted small" title={v.summary}>
                            {v.summary}
                          </div>
                        )}
                      </td>
                      <td>
                        <SeverityBadge severity={v.severity} score={v.score} />
                      </td>
                      <td title={v.packages.length > 4 ? v.packages.join(', ') : undefined}>
                        {v.packages.slice(0, 4).join(', ')}
                        {v.packages.length > 4 && <span className="muted"> and {v.packages.length - 4} more</span>}
                      </td>
                      <td className="mono small nowrap">{v.fixed.length ? v.fixed.join(', ') : <span className="muted">no fix yet</span>}</td>
                      <td className="num">{v.artifacts}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
        </>
      )}
      <ProjectScanSettingsCard />
      <SystemAllowlistCard />
    </>
  );
}

function DatabaseCard({ db }: { db: SecurityOverview['database'] }) {
  return (
    <Card title="Vulnerability database">
      {db.stale && (
        <div className={`alert ${db.staleBlocks ? 'alert-error' : 'alert-warn'}`} role="alert">
          <div>
            <strong>The database is out of date:</strong> {db.stale}.{db.staleBlocks ? ' Pulls from projects with a pull gate are blocked until a newer one is imported.' : ''}
          </div>
        </div>
      )}
      {db.sources.length === 0 ? (
        <p className="muted pad">
          No vulnerability database has been imported yet. Download OSV archives (for example <code>Debian/all.zip</code>, <code>Alpine/all.zip</code>, <code>npm/all.zip</code> from osv.dev) where there is internet, carry them here and run{' '}
          <code>berth vulndb import FILE…</code>; or push a database artifact (<code>berth vulndb push</code>) here or at headquarters, and Berth loads the newest by itself.
        </p>
      ) : (
        <>
          <dl className="details">
            <dt>Built</dt>
            <dd>{db.builtAt ? `${formatDate(db.builtAt)} · ${age(db.builtAt)}` : 'unknown'}</dd>
            <dt>Records</dt>
            <dd>{db.records.toLocaleString()} in {plural(db.sources.length, 'source')}</dd>
          </dl>
          <table className="table compact db-sources" aria-label="Database sources">
            <thead>
              <tr>
                <th scope="col">Source</th>
                <th scope="col" className="num">Records</th>
                <th scope="col">Built</th>
                <th scope="col">Imported</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {db.sources.map((s) => (
                <tr key={s.name}>
                  <td className="strong">{s.name}</td>
                  <td className="num">{s.records.toLocaleString()}</td>
                  <td>{s.builtAt ? formatDate(s.builtAt) : '—'}</td>
                  <td title={formatDate(s.importedAt)}>{timeAgo(s.importedAt)}</td>
                  <td className="mono small break">{s.file}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Card>
  );
}

/** How old the database is, in days: what the staleness policy counts. */
function age(ms: number): string {
  const days = Math.floor((Date.now() - ms) / 86_400_000);
  return days <= 0 ? 'built today' : `${plural(days, 'day')} old`;
}
