import type { Db } from './db.js';

/** One OSV record as stored: what the matcher needs, no more. */
export interface VulnRecordRow {
  id: string;
  modified: string | undefined;
  published: string | undefined;
  withdrawn: string | undefined;
  aliases: string[];
  summary: string | undefined;
  /** OSV `severity` array plus `database_specific.severity`, as JSON-able data. */
  severity: unknown;
  affected: { ecosystem: string; package: string; spec: unknown }[];
}

export interface VulnSourceRow {
  name: string;
  generation: number;
  importedAt: number;
  builtAt: number | undefined;
  records: number;
  file: string;
}

export interface AffectedMatchRow {
  vulnId: string;
  ecosystem: string;
  spec: string;
  aliases: string;
  summary: string | null;
  severity: string;
  withdrawn: string | null;
}

/**
 * The vulnerability database: rows are grouped in generations; vuln_sources points each source at the one
 * being served. An import fills a fresh generation in short transactions (pushes keep going), then switches
 * the pointer in one tiny transaction, then deletes the old generation.
 */
export class VulnDbTable {
  private readonly insertVuln;
  private readonly insertAffected;
  private readonly lookupStmt;
  private readonly severityStmt;

  constructor(private readonly db: Db) {
    this.insertVuln = db.prepare(
      'INSERT OR REPLACE INTO vulns (gen, id, modified, published, withdrawn, aliases, summary, severity) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertAffected = db.prepare('INSERT INTO vuln_affected (gen, vuln_id, ecosystem, package, spec) VALUES (?, ?, ?, ?, ?)');
    this.lookupStmt = db.prepare<[string], AffectedMatchRow>(
      `SELECT a.vuln_id AS vulnId, a.ecosystem, a.spec, v.aliases, v.summary, v.severity, v.withdrawn
       FROM vuln_affected a JOIN vulns v ON v.gen = a.gen AND v.id = a.vuln_id
       WHERE a.package = ? AND a.gen IN (SELECT generation FROM vuln_sources)`,
    );
    this.severityStmt = db.prepare<[string], { severity: string }>(
      'SELECT severity FROM vulns WHERE id = ? AND withdrawn IS NULL AND gen IN (SELECT generation FROM vuln_sources)',
    );
  }

  /** Stored manifests of the given artifact type (vulnerability database artifacts), newest first. */
  artifactsOfType(artifactType: string): { repository: string; digest: string; annotations: Record<string, string>; createdAt: number }[] {
    return this.db
      .prepare<[string], { repository: string; digest: string; annotations: string | null; created_at: number }>(
        `SELECT r.name AS repository, m.digest, m.annotations, m.created_at FROM manifests m JOIN repositories r ON r.id = m.repo_id
         WHERE m.artifact_type = ? ORDER BY m.created_at DESC`,
      )
      .all(artifactType)
      .map((r) => ({ repository: r.repository, digest: r.digest, annotations: r.annotations ? (JSON.parse(r.annotations) as Record<string, string>) : {}, createdAt: r.created_at }));
  }

  newGeneration(source: string): number {
    return Number(this.db.prepare('INSERT INTO vuln_generations (source, created_at) VALUES (?, ?)').run(source, Date.now()).lastInsertRowid);
  }

  /** Inserts records into a (not yet served) generation, in one transaction. */
  insertMany(gen: number, records: VulnRecordRow[]): void {
    this.db.transaction(() => {
      for (const r of records) {
        this.insertVuln.run(gen, r.id, r.modified ?? null, r.published ?? null, r.withdrawn ?? null, JSON.stringify(r.aliases), r.summary ?? null, JSON.stringify(r.severity ?? null));
        for (const a of r.affected) this.insertAffected.run(gen, r.id, a.ecosystem, a.package, JSON.stringify(a.spec));
      }
    })();
  }

  /** Serves `gen` for `source` from now on; returns the generation it replaced. */
  activate(source: string, gen: number, info: { builtAt: number | undefined; records: number; file: string }): number | undefined {
    return this.db.transaction(() => {
      const old = this.db.prepare<[string], { generation: number }>('SELECT generation FROM vuln_sources WHERE name = ?').get(source);
      this.db
        .prepare(
          `INSERT INTO vuln_sources (name, generation, imported_at, built_at, records, file) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(name) DO UPDATE SET generation = excluded.generation, imported_at = excluded.imported_at,
             built_at = excluded.built_at, records = excluded.records, file = excluded.file`,
        )
        .run(source, gen, Date.now(), info.builtAt ?? null, info.records, info.file);
      return old?.generation;
    })();
  }

  /** Deletes a generation's rows, a chunk per call; returns false when nothing was left. */
  dropChunk(gen: number, limit = 20_000): boolean {
    return this.db.transaction(() => {
      const a = this.db.prepare('DELETE FROM vuln_affected WHERE rowid IN (SELECT rowid FROM vuln_affected WHERE gen = ? LIMIT ?)').run(gen, limit).changes;
      const v = this.db.prepare('DELETE FROM vulns WHERE (gen, id) IN (SELECT gen, id FROM vulns WHERE gen = ? LIMIT ?)').run(gen, limit).changes;
      if (a === 0 && v === 0) this.db.prepare('DELETE FROM vuln_generations WHERE id = ?').run(gen);
      return a + v > 0;
    })();
  }

  /** Generations no source serves (replaced, or left by an interrupted import). */
  unusedGenerations(createdBefore: number): number[] {
    return this.db
      .prepare<[number], { id: number }>('SELECT id FROM vuln_generations WHERE created_at < ? AND id NOT IN (SELECT generation FROM vuln_sources)')
      .all(createdBefore)
      .map((r) => r.id);
  }

  sources(): VulnSourceRow[] {
    return this.db
      .prepare<[], { name: string; generation: number; imported_at: number; built_at: number | null; records: number; file: string }>(
        'SELECT * FROM vuln_sources ORDER BY name',
      )
      .all()
      .map((r) => ({ name: r.name, generation: r.generation, importedAt: r.imported_at, builtAt: r.built_at ?? undefined, records: r.records, file: r.file }));
  }

  /** Every served affected[] entry naming this package (any ecosystem: the matcher filters). */
  affecting(pkg: string): AffectedMatchRow[] {
    return this.lookupStmt.all(pkg);
  }

  /** The stored severities of the served, not withdrawn records with this id (one per source that has it). */
  severitiesOf(id: string): string[] {
    return this.severityStmt.all(id).map((r) => r.severity);
  }

  /**
   * Whether any served record names the ecosystem (`Debian` also matches `Debian:12`). Once per ecosystem per
   * scan; a miss scans the affected table (no index on ecosystem), tens of milliseconds for a large database.
   */
  hasEcosystem(base: string): boolean {
    return (
      this.db
        .prepare<[{ base: string; prefix: string }], { one: number }>(
          `SELECT 1 AS one FROM vuln_affected WHERE gen IN (SELECT generation FROM vuln_sources)
             AND (ecosystem = @base OR substr(ecosystem, 1, length(@prefix)) = @prefix) LIMIT 1`,
        )
        .get({ base, prefix: `${base}:` }) !== undefined
    );
  }
}
