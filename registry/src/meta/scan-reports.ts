import type { Db } from './db.js';

export interface FindingRow {
  vulnId: string;
  aliases: string[];
  severity: string;
  score: number | undefined;
  package: string;
  packageType: string;
  installed: string;
  fixed: string | undefined;
  layer: string | undefined;
  summary: string | undefined;
}

export interface ReportRow {
  digest: string;
  status: 'ok' | 'failed';
  scannedAt: number;
  dbBuiltAt: number | undefined;
  inventory: unknown;
  error: string | undefined;
  counts: Record<'critical' | 'high' | 'medium' | 'low' | 'unknown', number>;
}

export interface ProjectScanSettings {
  scanOnPush: boolean;
  gateSeverity: string | undefined;
  gateUnscanned: 'allow' | 'block';
  allowlist: { id: string; expiresAt?: number }[];
}

interface RawReport {
  digest: string;
  status: 'ok' | 'failed';
  scanned_at: number;
  db_built_at: number | null;
  inventory: string | null;
  error: string | null;
  critical: number;
  high: number;
  medium: number;
  low: number;
  unknown: number;
}

/** Scan reports (one per manifest digest, replaced by each scan) and the per-project scan switches. */
export class ScanReportTable {
  // Read on every manifest GET (the pull gate): prepared once.
  private readonly settingsStmt;

  constructor(private readonly db: Db) {
    this.settingsStmt = db.prepare<[string], { scan_on_push: number; gate_severity: string | null; gate_unscanned: 'allow' | 'block'; allowlist: string }>(
      'SELECT * FROM project_scan_settings WHERE project = ?',
    );
  }

  save(report: ReportRow, findings: FindingRow[]): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM scan_reports WHERE digest = ?').run(report.digest);
      this.db
        .prepare(
          `INSERT INTO scan_reports (digest, status, scanned_at, db_built_at, inventory, error, critical, high, medium, low, unknown)
           VALUES (@digest, @status, @scannedAt, @dbBuiltAt, @inventory, @error, @critical, @high, @medium, @low, @unknown)`,
        )
        .run({
          digest: report.digest,
          status: report.status,
          scannedAt: report.scannedAt,
          dbBuiltAt: report.dbBuiltAt ?? null,
          inventory: report.inventory === undefined ? null : JSON.stringify(report.inventory),
          error: report.error ?? null,
          ...report.counts,
        });
      const ins = this.db.prepare(
        `INSERT OR IGNORE INTO scan_findings (digest, vuln_id, aliases, severity, score, package, package_type, installed, fixed, layer, summary)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const f of findings) {
        ins.run(report.digest, f.vulnId, JSON.stringify(f.aliases), f.severity, f.score ?? null, f.package, f.packageType, f.installed, f.fixed ?? null, f.layer ?? null, f.summary ?? null);
      }
    })();
  }

  get(digest: string): ReportRow | undefined {
    const r = this.db.prepare<[string], RawReport>('SELECT * FROM scan_reports WHERE digest = ?').get(digest);
    if (!r) return undefined;
    return {
      digest: r.digest,
      status: r.status,
      scannedAt: r.scanned_at,
      dbBuiltAt: r.db_built_at ?? undefined,
      inventory: r.inventory === null ? undefined : (JSON.parse(r.inventory) as unknown),
      error: r.error ?? undefined,
      counts: { critical: r.critical, high: r.high, medium: r.medium, low: r.low, unknown: r.unknown },
    };
  }

  findings(digest: string): FindingRow[] {
    type Raw = { vuln_id: string; aliases: string; severity: string; score: number | null; package: string; package_type: string; installed: string; fixed: string | null; layer: string | null; summary: string | null };
    return this.db
      .prepare<[string], Raw>(`SELECT * FROM scan_findings WHERE digest = ?
         ORDER BY CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END DESC,
           score DESC, vuln_id, package`)
      .all(digest)
      .map((r) => ({
        vulnId: r.vuln_id,
        aliases: JSON.parse(r.aliases) as string[],
        severity: r.severity,
        score: r.score ?? undefined,
        package: r.package,
        packageType: r.package_type,
        installed: r.installed,
        fixed: r.fixed ?? undefined,
        layer: r.layer ?? undefined,
        summary: r.summary ?? undefined,
      }));
  }

  /** Every scanned artifact with one repository that holds it (to rescan after a database update). */
  scannedArtifacts(): { digest: string; repository: string }[] {
    return this.db
      .prepare<[], { digest: string; repository: string }>(
        `SELECT s.digest, (SELECT r.name FROM manifests m JOIN repositories r ON r.id = m.repo_id WHERE m.digest = s.digest ORDER BY r.name LIMIT 1) AS repository
         FROM scan_reports s ORDER BY s.digest`,
      )
      .all()
      .filter((r) => r.repository !== null);
  }

  projectSettings(project: string): ProjectScanSettings {
    const r = this.settingsStmt.get(project);
    if (!r) return { scanOnPush: false, gateSeverity: undefined, gateUnscanned: 'allow', allowlist: [] };
    return {
      scanOnPush: r.scan_on_push === 1,
      gateSeverity: r.gate_severity ?? undefined,
      gateUnscanned: r.gate_unscanned,
      allowlist: JSON.parse(r.allowlist) as ProjectScanSettings['allowlist'],
    };
  }

  setProjectSettings(project: string, s: ProjectScanSettings): void {
    this.db
      .prepare(
        `INSERT INTO project_scan_settings (project, scan_on_push, gate_severity, gate_unscanned, allowlist) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(project) DO UPDATE SET scan_on_push = excluded.scan_on_push, gate_severity = excluded.gate_severity,
           gate_unscanned = excluded.gate_unscanned, allowlist = excluded.allowlist`,
      )
      .run(project, s.scanOnPush ? 1 : 0, s.gateSeverity ?? null, s.gateUnscanned, JSON.stringify(s.allowlist));
  }
}
