import { useState } from 'react';
import { api, seg, ApiError } from '../api/client';
import type { ScanFinishedEvent, ScanSummary, VulnDbInfo, VulnerabilityReport } from '../api/security';
import { useApi, useServerEvents } from './useApi';
import { useSession } from '../app/session';
import { Link } from '../app/router';
import { Card, ErrorBox, Loading } from './ui';
import { SeverityCountsView } from './Severity';
import { FindingsTable, layerNamer } from './FindingsTable';
import { formatDate, shortDigest, timeAgo } from './format';

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The artifact page's Vulnerabilities section: the last report (counts, findings, scan and database dates, or
 * why the scan failed), "Scan now" for writers, refreshed when a scan of this digest finishes anywhere.
 */
export function VulnerabilitiesCard({ name, digest, layers, parents }: { name: string; digest: string; layers: { digest: string }[]; parents: string[] }) {
  const { can } = useSession();
  const path = `/repositories/${seg(name)}/artifacts/${seg(digest)}`;
  // Whether there is a report at all first (an empty list, where the report itself would answer 404), then the report.
  const summary = useApi<{ items: ScanSummary[] }>(`/repositories/${seg(name)}/scan-summaries?digest=${encodeURIComponent(digest)}`);
  const scanned = (summary.data?.items.length ?? 0) > 0;
  const report = useApi<VulnerabilityReport>(scanned ? `${path}/vulnerabilities` : null);
  const db = useApi<VulnDbInfo>('/vulndb');
  const [scanning, setScanning] = useState(false);
  const [error, setError] = useState<string>();
  const refresh = () => {
    summary.reload();
    report.reload();
  };
  useServerEvents(['scan.finished', 'vulndb.loaded'], (type, data) => {
    if (type === 'vulndb.loaded') db.reload();
    else if ((data as ScanFinishedEvent | undefined)?.digest === digest) refresh();
  });

  const scanNow = async () => {
    setScanning(true);
    setError(undefined);
    try {
      await api('POST', `${path}/scan`);
    } catch (e) {
      // A failed scan is recorded in the report, which says why; anything else (rights, network) is shown here.
      if (!(e instanceof ApiError && e.id === 'scan_failed')) setError((e as Error).message);
    } finally {
      setScanning(false);
      refresh();
    }
  };

  const notScanned = summary.data?.items.length === 0;
  const r = report.data;
  const newerDb = r && db.data?.builtAt != null && (r.dbBuiltAt == null || db.data.builtAt > r.dbBuiltAt) ? db.data.builtAt : undefined;
  const action = can.write && (
    <button type="button" className="btn btn-small" onClick={scanNow} disabled={scanning}>
      {scanning ? 'Scanning…' : 'Scan now'}
    </button>
  );

  return (
    <Card title="Vulnerabilities" actions={action} className="vulns">
      {error && (
        <div className="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {db.data && db.data.sources.length === 0 && (
        <div className="alert alert-warn" role="status">
          No vulnerability database has been imported, so scans find no vulnerabilities. An administrator imports one with <code>berth vulndb import FILE</code>.
        </div>
      )}
      {summary.error && <ErrorBox error={summary.error} onRetry={summary.reload} />}
      {report.error && <ErrorBox error={report.error} onRetry={report.reload} />}
      {!r && (summary.loading || report.loading) && <Loading />}
      {notScanned && !r && (
        <p className="muted pad">
          Not scanned yet.
          {parents.length > 0 && (
            <>
              {' '}
              This platform is scanned with its index:{' '}
              {parents.map((p) => (
                <Link key={p} to={`/artifacts/${name}@${p}`} className="mono">
                  {shortDigest(p)}
                </Link>
              ))}
              .
            </>
          )}
          {can.write ? ' Scan it now to see its packages’ known vulnerabilities.' : ''}
        </p>
      )}
      {r && (
        <>
          <div className="vuln-head">
            {r.status === 'ok' ? <SeverityCountsView counts={r.counts} /> : <span className="sev sev-critical">Scan failed</span>}
            <span className="muted small">
              Scanned <span title={formatDate(r.scannedAt)}>{timeAgo(r.scannedAt)}</span>
              {r.dbBuiltAt ? ` · database of ${day(r.dbBuiltAt)}` : ' · no database'}
            </span>
          </div>
          {newerDb !== undefined && r.status === 'ok' && (
            <div className="alert alert-warn" role="status">
              A newer vulnerability database ({day(newerDb)}) has been loaded since this scan; scan again for current findings.
            </div>
          )}
          {r.status === 'failed' && (
            <div className="alert alert-error" role="alert">
              <div>
                <strong>The scan failed.</strong> {r.error}
              </div>
            </div>
          )}
          {r.status === 'ok' && r.notes.length > 0 && (
            <ul className="scan-notes muted small" aria-label="Scan notes">
              {r.notes.slice(0, 10).map((n) => (
                <li key={n}>{n}</li>
              ))}
              {r.notes.length > 10 && <li>… and {r.notes.length - 10} more</li>}
            </ul>
          )}
          {r.status === 'ok' && r.findings.length === 0 && <p className="muted pad">No known vulnerabilities in the packages found.</p>}
          {r.status === 'ok' && r.findings.length > 0 && <FindingsTable findings={r.findings} layerName={layerNamer(layers)} />}
        </>
      )}
    </Card>
  );
}
