import type { Db } from './db.js';
import { MediaTypes } from '../oci/media-types.js';

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
  // Read on every manifest GET (the pull gate): prepared once, rows cached until a setting changes.
  private readonly settingsStmt;
  private readonly settingsCache = new Map<string, ProjectScanSettings>();

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

  /** Every scannable artifact (see SCANNABLE), once per digest, with one repository that holds it: what "scan all" walks. */
  topLevelArtifacts(): { digest: string; repository: string }[] {
    return this.db.prepare<[], { digest: string; repository: string }>(`${SCANNABLE} SELECT digest, repository FROM scannable ORDER BY digest`).all();
  }

  /** Read on every manifest GET (the pull gate); only setProjectSettings changes it, so it is cached. */
  projectSettings(project: string): ProjectScanSettings {
    const hit = this.settingsCache.get(project);
    if (hit) return hit;
    const s = this.readProjectSettings(project);
    if (!this.db.inTransaction) this.settingsCache.set(project, s);
    return s;
  }

  private readProjectSettings(project: string): ProjectScanSettings {
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
    this.settingsCache.clear();
    this.db
      .prepare(
        `INSERT INTO project_scan_settings (project, scan_on_push, gate_severity, gate_unscanned, allowlist) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(project) DO UPDATE SET scan_on_push = excluded.scan_on_push, gate_severity = excluded.gate_severity,
           gate_unscanned = excluded.gate_unscanned, allowlist = excluded.allowlist`,
      )
      .run(project, s.scanOnPush ? 1 : 0, s.gateSeverity ?? null, s.gateUnscanned, JSON.stringify(s.allowlist));
  }

  /**
   * The security overview over scannable artifacts (images and indexes that are neither a platform of an index
   * nor a referrer; SBOMs, signatures and database artifacts are no images), each digest once: how many are
   * scanned, failed or not scanned, and the findings of the scanned ones by severity.
   */
  overview(): ScanOverview {
    const r = this.db
      .prepare<[], Record<'total' | 'scanned' | 'failed' | 'notScanned' | 'vulnerable' | Severity, number>>(
        `${SCANNABLE} SELECT COUNT(*) AS total,
           COALESCE(SUM(s.status = 'ok'), 0) AS scanned, COALESCE(SUM(s.status = 'failed'), 0) AS failed,
           COALESCE(SUM(s.digest IS NULL), 0) AS notScanned,
           COALESCE(SUM(s.status = 'ok' AND s.critical + s.high + s.medium + s.low + s.unknown > 0), 0) AS vulnerable,
           COALESCE(SUM(s.critical), 0) AS critical, COALESCE(SUM(s.high), 0) AS high, COALESCE(SUM(s.medium), 0) AS medium,
           COALESCE(SUM(s.low), 0) AS low, COALESCE(SUM(s.unknown), 0) AS unknown
         FROM scannable a LEFT JOIN scan_reports s ON s.digest = a.digest`,
      )
      .get()!;
    return {
      artifacts: { total: r.total, scanned: r.scanned, failed: r.failed, notScanned: r.notScanned, vulnerable: r.vulnerable },
      totals: { critical: r.critical, high: r.high, medium: r.medium, low: r.low, unknown: r.unknown },
    };
  }

  /** Scanned artifacts with findings, worst first (critical, then high …), with one repository and its tags. */
  mostVulnerable(limit: number): VulnerableArtifactRow[] {
    type Raw = { digest: string; repository: string; repos: number; tags: string; scanned_at: number } & Record<Severity, number>;
    return this.db
      .prepare<[number], Raw>(
        `${SCANNABLE} SELECT a.digest, a.repository, a.repos, s.scanned_at, s.critical, s.high, s.medium, s.low, s.unknown,
           (SELECT json_group_array(name) FROM (SELECT t.name FROM tags t JOIN repositories r ON r.id = t.repo_id
              WHERE r.name = a.repository AND t.digest = a.digest ORDER BY t.name)) AS tags
         FROM scannable a JOIN scan_reports s ON s.digest = a.digest AND s.status = 'ok'
         WHERE s.critical + s.high + s.medium + s.low + s.unknown > 0
         ORDER BY s.critical DESC, s.high DESC, s.medium DESC, s.low DESC, s.unknown DESC, a.repository, a.digest
         LIMIT ?`,
      )
      .all(limit)
      .map((x) => ({
        digest: x.digest,
        repository: x.repository,
        otherRepositories: x.repos - 1,
        tags: JSON.parse(x.tags) as string[],
        scannedAt: x.scanned_at,
        counts: { critical: x.critical, high: x.high, medium: x.medium, low: x.low, unknown: x.unknown },
      }));
  }

  /** The vulnerabilities found in the most scannable artifacts, then the most severe. */
  widespreadVulnerabilities(limit: number): WidespreadVulnRow[] {
    type Raw = { id: string; rank: number; score: number | null; artifacts: number; packages: string; fixed: string; aliases: string; summary: string | null };
    return this.db
      .prepare<[number], Raw>(
        `${SCANNABLE} SELECT f.vuln_id AS id, MAX(${SEVERITY_RANK}) AS rank, MAX(f.score) AS score, COUNT(DISTINCT f.digest) AS artifacts,
           json_group_array(DISTINCT f.package) AS packages, json_group_array(DISTINCT f.fixed) AS fixed,
           MIN(f.aliases) AS aliases, MIN(f.summary) AS summary
         FROM scan_findings f JOIN scannable a ON a.digest = f.digest
         GROUP BY f.vuln_id
         ORDER BY artifacts DESC, rank DESC, score DESC, id
         LIMIT ?`,
      )
      .all(limit)
      .map((x) => ({
        id: x.id,
        aliases: JSON.parse(x.aliases) as string[],
        severity: severityOfRank[x.rank] ?? 'unknown',
        score: x.score ?? undefined,
        artifacts: x.artifacts,
        packages: (JSON.parse(x.packages) as string[]).sort(),
        fixed: (JSON.parse(x.fixed) as (string | null)[]).filter((v): v is string => v !== null).sort(),
        summary: x.summary ?? undefined,
      }));
  }

  /** The report summary of every manifest in a repository that has been scanned (the repository page's column), or of one. */
  repositorySummaries(repository: string, digest?: string): ReportSummaryRow[] {
    type Raw = { digest: string; status: 'ok' | 'failed'; scanned_at: number; error: string | null } & Record<Severity, number>;
    return this.db
      .prepare<[string, string | null, string | null], Raw>(
        `SELECT s.digest, s.status, s.scanned_at, s.error, s.critical, s.high, s.medium, s.low, s.unknown
         FROM manifests m JOIN repositories r ON r.id = m.repo_id JOIN scan_reports s ON s.digest = m.digest
         WHERE r.name = ? AND (? IS NULL OR m.digest = ?) ORDER BY s.digest`,
      )
      .all(repository, digest ?? null, digest ?? null)
      .map((x) => ({
        digest: x.digest,
        status: x.status,
        scannedAt: x.scanned_at,
        error: x.error ?? undefined,
        counts: { critical: x.critical, high: x.high, medium: x.medium, low: x.low, unknown: x.unknown },
      }));
  }
}

type Severity = 'critical' | 'high' | 'medium' | 'low' | 'unknown';

const SEVERITY_RANK = `CASE f.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END`;
const severityOfRank: Severity[] = ['unknown', 'low', 'medium', 'high', 'critical'];

/**
 * Scannable artifacts, one row per digest with the first repository (by name) that holds it and how many do:
 * image manifests (artifact type = an image config type) and indexes without an artifact type, that are no
 * referrer and no platform of an index in the same repository.
 */
const SCANNABLE = `WITH scannable AS (
  SELECT m.digest, MIN(r.name) AS repository, COUNT(*) AS repos
  FROM manifests m JOIN repositories r ON r.id = m.repo_id
  WHERE m.subject IS NULL
    AND (m.artifact_type IN ('${MediaTypes.ociConfig}', '${MediaTypes.dockerConfig}')
      OR (m.artifact_type IS NULL AND m.media_type IN ('${MediaTypes.ociIndex}', '${MediaTypes.dockerManifestList}')))
    AND NOT EXISTS (SELECT 1 FROM manifest_refs x WHERE x.repo_id = m.repo_id AND x.child = m.digest AND x.kind = 'manifest')
  GROUP BY m.digest
)`;

export interface ScanOverview {
  artifacts: { total: number; scanned: number; failed: number; notScanned: number; vulnerable: number };
  totals: Record<Severity, number>;
}

export interface VulnerableArtifactRow {
  digest: string;
  repository: string;
  /** How many other repositories hold the same digest (a replica, a promotion). */
  otherRepositories: number;
  tags: string[];
  scannedAt: number;
  counts: Record<Severity, number>;
}

export interface WidespreadVulnRow {
  id: string;
  aliases: string[];
  severity: Severity;
  score: number | undefined;
  artifacts: number;
  packages: string[];
  fixed: string[];
  summary: string | undefined;
}

export interface ReportSummaryRow {
  digest: string;
  status: 'ok' | 'failed';
  scannedAt: number;
  error: string | undefined;
  counts: Record<Severity, number>;
}
