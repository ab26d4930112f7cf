import type { Db } from './db.js';

export interface ProjectQuotaRow {
  project: string;
  /** null = unlimited */
  limitBytes: number | null;
  usedBytes: number;
}

/**
 * Project storage quotas. `used_bytes` is not written here: triggers of migration 7 keep it in step with
 * repo_blobs and manifests inside the transaction that changes them (whatever the path: push, mount, import,
 * cache fill, delete, GC). Usage counts each distinct digest (blob or manifest) a project's repositories hold once.
 */
export class QuotaTable {
  private readonly getStmt;
  private readonly listStmt;
  private readonly setLimitStmt;
  private readonly holdsStmt;
  private readonly holdsSizeStmt;
  private readonly sumStmt;
  private readonly usageStmt;

  constructor(private readonly db: Db) {
    this.getStmt = db.prepare<[string], { limit_bytes: number | null; used_bytes: number }>(
      'SELECT limit_bytes, used_bytes FROM project_quotas WHERE project = ?',
    );
    this.listStmt = db.prepare<[], { project: string; limit_bytes: number | null; used_bytes: number | null }>(
      `SELECT p.name AS project, q.limit_bytes, q.used_bytes FROM projects p LEFT JOIN project_quotas q ON q.project = p.name
       WHERE p.kind = 'local' ORDER BY p.name`,
    );
    this.setLimitStmt = db.prepare(
      'INSERT INTO project_quotas (project, limit_bytes) VALUES (?, ?) ON CONFLICT(project) DO UPDATE SET limit_bytes = excluded.limit_bytes',
    );
    this.usageStmt = db.prepare<[], { project: string; used_bytes: number }>('SELECT project, used_bytes FROM project_quotas');
    this.holdsStmt = db.prepare<[string, string], { x: number }>('SELECT 1 AS x FROM project_content WHERE project = ? AND digest = ?');
    this.holdsSizeStmt = db.prepare<[string, number], { x: number }>(
      'SELECT 1 AS x FROM project_content c JOIN blobs b ON b.digest = c.digest WHERE c.project = ? AND b.size >= ? LIMIT 1',
    );
    // The definition the counter must agree with, computed from scratch (tests, `recompute`).
    this.sumStmt = db.prepare<[{ project: string }], { bytes: number | null }>(
      `SELECT sum(b.size) AS bytes FROM blobs b WHERE b.digest IN (
         SELECT l.digest FROM repo_blobs l JOIN repositories r ON r.id = l.repo_id WHERE r.project = @project
         UNION SELECT m.digest FROM manifests m JOIN repositories r ON r.id = m.repo_id WHERE r.project = @project)`,
    );
  }

  /** The project's limit and usage: one primary-key lookup (the push path calls it). */
  get(project: string): ProjectQuotaRow {
    const r = this.getStmt.get(project);
    return { project, limitBytes: r?.limit_bytes ?? null, usedBytes: r?.used_bytes ?? 0 };
  }

  /** Every local project with its limit and usage. */
  list(): ProjectQuotaRow[] {
    return this.listStmt.all().map((r) => ({ project: r.project, limitBytes: r.limit_bytes, usedBytes: r.used_bytes ?? 0 }));
  }

  setLimit(project: string, limitBytes: number | null): void {
    this.setLimitStmt.run(project, limitBytes);
  }

  /** Whether a repository of the project already holds this digest (then linking it adds nothing). */
  holds(project: string, digest: string): boolean {
    return this.holdsStmt.get(project, digest) !== undefined;
  }

  /**
   * Whether the project holds any content of at least `size` bytes: an upload of unknown digest that has
   * reached `size` bytes may still turn out to be such content (then it costs nothing); otherwise it cannot.
   */
  holdsAtLeast(project: string, size: number): boolean {
    return this.holdsSizeStmt.get(project, size) !== undefined;
  }

  /** Usage computed from the content tables, ignoring the counter. */
  computedUsage(project: string): number {
    return this.sumStmt.get({ project })?.bytes ?? 0;
  }

  /**
   * Rebuilds the counters from the content tables in one transaction (a repair path: the triggers keep them
   * right, but a database restored from an older backup or edited by hand may not agree). Returns the projects
   * whose usage changed, with the old and new figures.
   */
  recompute(): { project: string; before: number; after: number }[] {
    return this.db.transaction(() => {
      const usage = () => new Map(this.usageStmt.all().map((r) => [r.project, r.used_bytes]));
      const before = usage();
      this.db.exec(`
        DELETE FROM project_content;
        INSERT INTO project_content (project, digest, refs)
          SELECT r.project, x.digest, count(*)
          FROM (SELECT repo_id, digest FROM repo_blobs UNION ALL SELECT repo_id, digest FROM manifests) x
          JOIN repositories r ON r.id = x.repo_id
          GROUP BY r.project, x.digest;
        UPDATE project_quotas SET used_bytes = coalesce(
          (SELECT sum(b.size) FROM project_content c JOIN blobs b ON b.digest = c.digest WHERE c.project = project_quotas.project), 0);
        INSERT INTO project_quotas (project, used_bytes)
          SELECT c.project, sum(b.size) FROM project_content c JOIN blobs b ON b.digest = c.digest
          WHERE c.project NOT IN (SELECT project FROM project_quotas) GROUP BY c.project;
      `);
      const changed: { project: string; before: number; after: number }[] = [];
      for (const [project, now] of usage()) {
        const was = before.get(project) ?? 0;
        if (was !== now) changed.push({ project, before: was, after: now });
      }
      return changed;
    })();
  }
}
