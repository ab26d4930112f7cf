import { severities, type Severity, type SeverityCounts } from '../api/security';

/** Severity labels, badges and per-severity counts, coloured the same everywhere. */

export const severityLabel: Record<Severity, string> = { critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low', unknown: 'Unknown' };

export const severityRank: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, unknown: 0 };

export function SeverityBadge({ severity, score }: { severity: Severity; score?: number | null }) {
  return (
    <span className={`sev sev-${severity}`}>
      {severityLabel[severity]}
      {score != null && <span className="sev-score"> {score.toFixed(1)}</span>}
    </span>
  );
}

export function totalOf(c: SeverityCounts): number {
  return severities.reduce((n, s) => n + c[s], 0);
}

/**
 * Counts as a row of coloured pills (zero severities left out); `none` is what a clean report says. The
 * accessible name spells the counts out for screen readers.
 */
export function SeverityCountsView({ counts, none = 'No vulnerabilities', compact }: { counts: SeverityCounts; none?: string; compact?: boolean }) {
  const present = severities.filter((s) => counts[s] > 0);
  if (present.length === 0) return <span className="sev-none">{none}</span>;
  const spoken = present.map((s) => `${counts[s]} ${severityLabel[s].toLowerCase()}`).join(', ');
  return (
    <span className={`sev-counts${compact ? ' sev-compact' : ''}`} role="img" aria-label={spoken} title={spoken}>
      {present.map((s) => (
        <span key={s} className={`sev sev-${s}`} aria-hidden="true">
          {counts[s]}
          {!compact && ` ${severityLabel[s]}`}
        </span>
      ))}
    </span>
  );
}

/** A table cell's view of an artifact's last scan: counts, "scan failed" (reason on hover) or "not scanned". */
export function ScanStatus({ summary }: { summary: { status: 'ok' | 'failed'; error: string | null; counts: SeverityCounts } | undefined }) {
  if (!summary) return <span className="muted small">not scanned</span>;
  if (summary.status === 'failed') {
    return (
      <span className="error-text small" title={summary.error ?? undefined}>
        scan failed
      </span>
    );
  }
  return <SeverityCountsView counts={summary.counts} none="none found" compact />;
}

/** Images and plain indexes carry packages to scan; signatures, SBOMs and other artifacts do not. */
export function isScannable(m: { isIndex: boolean; artifactType: string | null }): boolean {
  return m.isIndex ? !m.artifactType : /image\.config|container\.image/.test(m.artifactType ?? '');
}
