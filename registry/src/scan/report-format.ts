import type { ScanReport } from './scanner.js';
import { severities } from './severity.js';

const date = (ms: number | undefined) => (ms === undefined ? 'never' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z'));

/** A plain-text report for terminals and CI logs: summary, then one line per finding, worst first. */
export function formatTable(name: string, r: ScanReport): string {
  const lines: string[] = [];
  const os = r.inventory.os ? `${r.inventory.os.prettyName ?? `${r.inventory.os.id} ${r.inventory.os.versionId}`}` : 'unknown OS';
  lines.push(`${name} (${r.digest})`);
  lines.push(`${os}; ${r.inventory.packages.length} packages in ${r.inventory.layers.length} layers; vulnerability database built ${date(r.dbBuiltAt)}`);
  lines.push(severities.map((s) => `${s}: ${r.counts[s]}`).join('  '));
  for (const n of r.inventory.notes) lines.push(`note: ${n}`);
  if (r.findings.length) {
    const rows = [['ID', 'SEVERITY', 'SCORE', 'PACKAGE', 'INSTALLED', 'FIXED', 'LAYER']];
    for (const f of r.findings) {
      rows.push([f.vulnId, f.severity, f.score?.toFixed(1) ?? '-', f.package, f.installed, f.fixed ?? '-', f.layer.replace(/^sha256:/, '').slice(0, 12)]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    lines.push('');
    for (const row of rows) lines.push(row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  }
  return `${lines.join('\n')}\n`;
}
