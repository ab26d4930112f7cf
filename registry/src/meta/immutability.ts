import type { Db } from './db.js';

export interface ImmutabilityRuleRow {
  id: number;
  project: string;
  /** Glob over the repository path inside the project (`app/**`). */
  repositories: string;
  /** Glob over tag names (`v*`). */
  tags: string;
  /** New referrers (signatures, SBOMs) of the content a matching tag protects may be pushed. */
  allowReferrers: boolean;
  createdAt: number;
}

interface Raw {
  id: number;
  project: string;
  repositories: string;
  tags: string;
  allow_referrers: number;
  created_at: number;
}

const toRow = (r: Raw): ImmutabilityRuleRow => ({
  id: r.id,
  project: r.project,
  repositories: r.repositories,
  tags: r.tags,
  allowReferrers: r.allow_referrers === 1,
  createdAt: r.created_at,
});

const cols = 'id, project, repositories, tags, allow_referrers, created_at';

/** Tag immutability rules per project (policy/immutability.ts decides with them). */
export class ImmutabilityTable {
  private readonly listStmt;
  private readonly insertStmt;
  private readonly deleteStmt;

  constructor(db: Db) {
    this.listStmt = db.prepare<[string], Raw>(`SELECT ${cols} FROM immutability_rules WHERE project = ? ORDER BY id`);
    this.insertStmt = db.prepare<[string, string, string, number, number], Raw>(
      `INSERT INTO immutability_rules (project, repositories, tags, allow_referrers, created_at) VALUES (?, ?, ?, ?, ?) RETURNING ${cols}`,
    );
    this.deleteStmt = db.prepare('DELETE FROM immutability_rules WHERE project = ? AND id = ?');
  }

  list(project: string): ImmutabilityRuleRow[] {
    return this.listStmt.all(project).map(toRow);
  }

  insert(project: string, repositories: string, tags: string, allowReferrers: boolean, now = Date.now()): ImmutabilityRuleRow {
    return toRow(this.insertStmt.get(project, repositories, tags, allowReferrers ? 1 : 0, now)!);
  }

  delete(project: string, id: number): boolean {
    return this.deleteStmt.run(project, id).changes > 0;
  }
}
