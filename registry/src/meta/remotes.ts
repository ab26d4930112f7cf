import type { Db } from './db.js';

/**
 * Who owns a definition: the declarative config file (reconciled by `serve` and `berth config apply` only) or
 * the admin API. File-owned definitions cannot be changed through the API.
 */
export type DefinitionSource = 'file' | 'api';

export interface DefinitionRow {
  name: string;
  /** The validated object as JSON (config/remotes.ts schemas); read back through the same schema. */
  spec: unknown;
  source: DefinitionSource;
  /** When the config file stopped declaring this file-owned definition (kept read-only until deleted). */
  detachedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

interface RawDefinition {
  name: string;
  spec: string;
  source: DefinitionSource;
  detached_at: number | null;
  created_at: number;
  updated_at: number;
}

function toRow(r: RawDefinition): DefinitionRow {
  return { name: r.name, spec: JSON.parse(r.spec) as unknown, source: r.source, detachedAt: r.detached_at, createdAt: r.created_at, updatedAt: r.updated_at };
}

/** Named JSON definitions in one table (remote registries, proxy projects). */
export class DefinitionTable {
  private readonly listStmt;
  private readonly getStmt;
  private readonly upsertStmt;
  private readonly deleteStmt;
  private readonly detachStmt;

  constructor(db: Db, table: 'remote_registries' | 'proxy_projects') {
    const cols = 'name, spec, source, detached_at, created_at, updated_at';
    this.listStmt = db.prepare<[], RawDefinition>(`SELECT ${cols} FROM ${table} ORDER BY name`);
    this.getStmt = db.prepare<[string], RawDefinition>(`SELECT ${cols} FROM ${table} WHERE name = ?`);
    // Writing a definition attaches it again (the file declares it anew, or it was never detached).
    this.upsertStmt = db.prepare(
      `INSERT INTO ${table} (name, spec, source, created_at, updated_at) VALUES (@name, @spec, @source, @now, @now)
       ON CONFLICT(name) DO UPDATE SET spec = excluded.spec, source = excluded.source, detached_at = NULL, updated_at = excluded.updated_at`,
    );
    this.deleteStmt = db.prepare(`DELETE FROM ${table} WHERE name = ?`);
    this.detachStmt = db.prepare(`UPDATE ${table} SET detached_at = @now, updated_at = @now WHERE name = @name AND detached_at IS NULL`);
  }

  list(): DefinitionRow[] {
    return this.listStmt.all().map(toRow);
  }

  get(name: string): DefinitionRow | undefined {
    const r = this.getStmt.get(name);
    return r && toRow(r);
  }

  upsert(name: string, spec: unknown, source: DefinitionSource, now = Date.now()): void {
    this.upsertStmt.run({ name, spec: JSON.stringify(spec), source, now });
  }

  delete(name: string): boolean {
    return this.deleteStmt.run(name).changes > 0;
  }

  /** Marks a definition as no longer declared by the config file (keeps the row and its spec). */
  detach(name: string, now = Date.now()): boolean {
    return this.detachStmt.run({ name, now }).changes > 0;
  }
}

export interface CacheEntry {
  repoId: number;
  repository: string;
  digest: string;
  /** Last pulled, or cached when never pulled since. */
  usedAt: number;
}

/** Queries the proxy cache needs: project kind, what a cached manifest references, usage for eviction. */
export class ProxyCacheQueries {
  private readonly setKindStmt;
  private readonly refsBlobStmt;
  private readonly entriesStmt;
  private readonly usageStmt;
  private readonly unusedLinksStmt;
  private readonly hasReposStmt;

  constructor(private readonly db: Db) {
    this.setKindStmt = db.prepare('UPDATE projects SET kind = ?, public = ? WHERE name = ?');
    this.refsBlobStmt = db.prepare<[number, string], { x: number }>(
      "SELECT 1 AS x FROM manifest_refs WHERE repo_id = ? AND child = ? AND kind = 'blob' LIMIT 1",
    );
    this.entriesStmt = db.prepare<[string], { repo_id: number; name: string; digest: string; used: number }>(
      `SELECT r.id AS repo_id, r.name, m.digest, coalesce(m.last_pulled_at, m.created_at) AS used
       FROM manifests m JOIN repositories r ON r.id = m.repo_id WHERE r.project = ? ORDER BY used, m.digest`,
    );
    this.usageStmt = db.prepare<[string, string], { bytes: number | null }>(
      `SELECT sum(b.size) AS bytes FROM blobs b WHERE b.digest IN (
         SELECT l.digest FROM repo_blobs l JOIN repositories r ON r.id = l.repo_id WHERE r.project = ?
         UNION SELECT m.digest FROM manifests m JOIN repositories r ON r.id = m.repo_id WHERE r.project = ?)`,
    );
    this.hasReposStmt = db.prepare<[string], { x: number }>('SELECT 1 AS x FROM repositories WHERE project = ? LIMIT 1');
    this.unusedLinksStmt = db.prepare(
      `DELETE FROM repo_blobs WHERE repo_id = ? AND NOT EXISTS (
         SELECT 1 FROM manifest_refs x WHERE x.repo_id = repo_blobs.repo_id AND x.child = repo_blobs.digest)`,
    );
  }

  /** Marks a project as a proxy (read-only for clients) or back to local. */
  setProjectKind(project: string, kind: 'proxy' | 'local', isPublic: boolean): void {
    this.setKindStmt.run(kind, isPublic ? 1 : 0, project);
  }

  projectHasRepositories(project: string): boolean {
    return this.hasReposStmt.get(project) !== undefined;
  }

  /** Whether a manifest of this repository references the blob (so it is that repository's content). */
  referencesBlob(repoId: number, digest: string): boolean {
    return this.refsBlobStmt.get(repoId, digest) !== undefined;
  }

  /** Cached manifests of a project, least recently used first. */
  entries(project: string): CacheEntry[] {
    return this.entriesStmt.all(project).map((r) => ({ repoId: r.repo_id, repository: r.name, digest: r.digest, usedAt: r.used }));
  }

  /** Bytes of the distinct blobs and manifests a project holds. */
  usage(project: string): number {
    return this.usageStmt.get(project, project)?.bytes ?? 0;
  }

  /** Unlinks blobs that no manifest of the repository uses any more (after an eviction). */
  dropUnusedLinks(repoId: number): number {
    return this.unusedLinksStmt.run(repoId).changes;
  }
}
