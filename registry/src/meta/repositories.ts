import type { Db } from './db.js';

export interface ProjectRow {
  name: string;
  public: boolean;
  kind: string;
  createdAt: number;
}

export interface RepositoryRow {
  id: number;
  name: string;
  project: string;
  createdAt: number;
}

/** Projects and repositories. */
export class RepositoryTable {
  private readonly byName;
  private readonly insertRepo;
  private readonly insertProject;
  private readonly getProjectStmt;
  private readonly listProjectsStmt;
  private readonly setPublicStmt;
  private readonly catalogStmt;
  private readonly deleteRepoStmt;
  private readonly countStmt;
  private readonly cache = new Map<string, RepositoryRow>();

  constructor(
    private readonly db: Db,
    /** Called after a repository row is deleted (caches keyed by repository id must forget it). */
    private readonly onDelete: () => void = () => undefined,
  ) {
    this.byName = db.prepare<[string], { id: number; name: string; project: string; created_at: number }>(
      'SELECT id, name, project, created_at FROM repositories WHERE name = ?',
    );
    this.insertRepo = db.prepare('INSERT INTO repositories (name, project, created_at) VALUES (?, ?, ?)');
    this.insertProject = db.prepare(
      'INSERT INTO projects (name, public, kind, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO NOTHING',
    );
    this.getProjectStmt = db.prepare<[string], { name: string; public: number; kind: string; created_at: number }>(
      'SELECT name, public, kind, created_at FROM projects WHERE name = ?',
    );
    this.listProjectsStmt = db.prepare<[], { name: string; public: number; kind: string; created_at: number }>(
      'SELECT name, public, kind, created_at FROM projects ORDER BY name',
    );
    this.setPublicStmt = db.prepare('UPDATE projects SET public = ? WHERE name = ?');
    // Only repositories that hold at least one manifest are listed, as a client would expect.
    this.catalogStmt = db.prepare<[string, number], { name: string }>(
      `SELECT r.name FROM repositories r WHERE r.name > ? AND EXISTS (SELECT 1 FROM manifests m WHERE m.repo_id = r.id)
       ORDER BY r.name LIMIT ?`,
    );
    this.deleteRepoStmt = db.prepare('DELETE FROM repositories WHERE id = ?');
    this.countStmt = db.prepare<[], { n: number }>(
      'SELECT count(*) AS n FROM repositories r WHERE EXISTS (SELECT 1 FROM manifests m WHERE m.repo_id = r.id)',
    );
  }

  get(name: string): RepositoryRow | undefined {
    const hit = this.cache.get(name);
    if (hit) return hit;
    const r = this.byName.get(name);
    if (!r) return undefined;
    const row = { id: r.id, name: r.name, project: r.project, createdAt: r.created_at };
    this.cache.set(name, row);
    return row;
  }

  /** The repository, created with its project on first write. */
  ensure(name: string, project: string, now = Date.now()): RepositoryRow {
    const existing = this.get(name);
    if (existing) return existing;
    this.insertProject.run(project, project === 'library' ? 1 : 0, 'local', now);
    this.insertRepo.run(name, project, now);
    return this.get(name)!;
  }

  delete(id: number, name: string): void {
    this.cache.delete(name);
    this.deleteRepoStmt.run(id);
    this.onDelete();
  }

  /** Forget cached rows, e.g. after a transaction that created rows rolled back. */
  forget(name: string): void {
    this.cache.delete(name);
  }

  catalog(last: string, n: number): string[] {
    return this.catalogStmt.all(last, n).map((r) => r.name);
  }

  count(): number {
    return this.countStmt.get()!.n;
  }

  ensureProject(name: string, opts: { public?: boolean; kind?: string } = {}, now = Date.now()): void {
    this.insertProject.run(name, opts.public ?? name === 'library' ? 1 : 0, opts.kind ?? 'local', now);
  }

  project(name: string): ProjectRow | undefined {
    const r = this.getProjectStmt.get(name);
    return r && { name: r.name, public: r.public === 1, kind: r.kind, createdAt: r.created_at };
  }

  projects(): ProjectRow[] {
    return this.listProjectsStmt.all().map((r) => ({ name: r.name, public: r.public === 1, kind: r.kind, createdAt: r.created_at }));
  }

  setPublic(name: string, isPublic: boolean): void {
    this.setPublicStmt.run(isPublic ? 1 : 0, name);
  }
}
