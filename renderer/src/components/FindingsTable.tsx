import { useMemo, useState } from 'react';
import { severities, type Finding, type Severity } from '../api/security';
import { SeverityBadge, severityLabel, severityRank } from './Severity';
import { shortDigest } from './format';
import { icons } from './Icons';

/** A scan report's findings: sortable by severity, score, id, package; filterable by text, severity and fixability. */

type SortKey = 'severity' | 'score' | 'id' | 'package';
const sortLabels: Record<SortKey, string> = { severity: 'Severity', score: 'Score', id: 'Vulnerability', package: 'Package' };

function compare(a: Finding, b: Finding, key: SortKey): number {
  switch (key) {
    case 'severity':
      return severityRank[a.severity] - severityRank[b.severity] || (a.score ?? -1) - (b.score ?? -1);
    case 'score':
      return (a.score ?? -1) - (b.score ?? -1) || severityRank[a.severity] - severityRank[b.severity];
    case 'id':
      return a.vulnId.localeCompare(b.vulnId, undefined, { numeric: true });
    case 'package':
      return a.package.localeCompare(b.package) || a.installed.localeCompare(b.installed);
  }
}

export function FindingsTable({ findings, layerName }: { findings: Finding[]; layerName: (digest: string) => string }) {
  const [text, setText] = useState('');
  const [severity, setSeverity] = useState<Severity | ''>('');
  const [fixableOnly, setFixableOnly] = useState(false);
  // Severity and score read best worst-first; names alphabetically.
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'severity', desc: true });

  const shown = useMemo(() => {
    const q = text.trim().toLowerCase();
    const rows = findings.filter(
      (f) =>
        (!severity || f.severity === severity) &&
        (!fixableOnly || f.fixed !== undefined) &&
        (!q || [f.vulnId, ...f.aliases, f.package, f.installed, f.summary ?? ''].some((v) => v.toLowerCase().includes(q))),
    );
    // Ties fall back to the worst first, then the id, so the order is stable whatever the key.
    return rows.sort((a, b) => (sort.desc ? -1 : 1) * compare(a, b, sort.key) || compare(b, a, 'severity') || compare(a, b, 'id'));
  }, [findings, text, severity, fixableOnly, sort]);

  const header = (key: SortKey, className?: string) => {
    const active = sort.key === key;
    return (
      <th scope="col" className={className} aria-sort={active ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
        <button
          type="button"
          className="sort-button"
          onClick={() => setSort(active ? { key, desc: !sort.desc } : { key, desc: key === 'severity' || key === 'score' })}
        >
          {sortLabels[key]}
          <span className="sort-mark" aria-hidden="true">
            {active ? (sort.desc ? '▼' : '▲') : '↕'}
          </span>
        </button>
      </th>
    );
  };

  return (
    <>
      <div className="toolbar findings-toolbar" role="search">
        <label htmlFor="finding-filter" className="sr-only">
          Filter vulnerabilities
        </label>
        <div className="search">
          {icons.search}
          <input id="finding-filter" type="search" placeholder="Filter by id, package, version…" value={text} onChange={(e) => setText(e.target.value)} />
        </div>
        <label htmlFor="finding-severity" className="sr-only">
          Severity
        </label>
        <select id="finding-severity" value={severity} onChange={(e) => setSeverity(e.target.value as Severity | '')}>
          <option value="">All severities</option>
          {severities.map((s) => (
            <option key={s} value={s}>
              {severityLabel[s]}
            </option>
          ))}
        </select>
        <label className="switch">
          <input type="checkbox" checked={fixableOnly} onChange={(e) => setFixableOnly(e.target.checked)} />
          <span>Fix available</span>
        </label>
        <span className="muted" role="status" aria-live="polite">
          {shown.length === findings.length ? `${findings.length} findings` : `${shown.length} of ${findings.length} findings`}
        </span>
      </div>
      {shown.length === 0 ? (
        <p className="muted pad">No finding matches the filter.</p>
      ) : (
        <div className="table-scroll">
          <table className="table findings" aria-label="Vulnerabilities">
            <thead>
              <tr>
                {header('severity')}
                {header('id')}
                {header('package')}
                <th scope="col">Installed</th>
                <th scope="col">Fixed in</th>
                <th scope="col">Layer</th>
                {header('score', 'num')}
              </tr>
            </thead>
            <tbody>
              {shown.map((f) => (
                <tr key={`${f.vulnId}\0${f.package}\0${f.installed}`}>
                  <td>
                    <SeverityBadge severity={f.severity} />
                  </td>
                  <td className="finding-id">
                    <span className="mono strong">{f.vulnId}</span>
                    {f.aliases.length > 0 && <span className="muted small"> {f.aliases.join(', ')}</span>}
                    {f.summary && (
                      <div className="finding-summary muted small" title={f.summary}>
                        {f.summary}
                      </div>
                    )}
                  </td>
                  <td>
                    <span className="strong nowrap">{f.package}</span> <span className="muted small">{f.packageType}</span>
                  </td>
                  <td className="mono small nowrap">{f.installed}</td>
                  <td className="mono small nowrap">{f.fixed ?? <span className="muted">no fix yet</span>}</td>
                  <td className="mono small nowrap" title={f.layer}>
                    {f.layer ? layerName(f.layer) : '—'}
                  </td>
                  <td className="num">{f.score !== undefined ? f.score.toFixed(1) : <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/**
 * "#2" for the image's second layer (as numbered in the page's Layers table; the digest is in the tooltip), else
 * the short digest (a platform's layer in an index report).
 */
export function layerNamer(layers: { digest: string }[]): (digest: string) => string {
  return (digest) => {
    const i = layers.findIndex((l) => l.digest === digest);
    return i < 0 ? shortDigest(digest) : `#${i + 1}`;
  };
}
