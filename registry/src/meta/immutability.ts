import type { Db } from './db.js';

export interface ImmutabilityRuleRow {
  id: number;
  project: string;
  /** Glob over the repository path inside the project (`app/**`). */
  repositories: string;
  /** Glob over tag names (`v*`). */
  tags: string;
  createdAt: number;
}

interface Raw {
  id: number;
  project: string;
  repositories: string;
  tags: string;
  created_at: number;
}

const toRow = (r: Raw): ImmutabilityRuleRow => ({ id: r.id, project: r.project, repositories: r.repositories, tags: r.tags, createdAt: r.created_at });

/** Tag immutability rules per project (policy/immutability.ts decides with them). */
export class ImmutabilityTable {
  private readonly listStmt;
  private readonly insertStmt;
  private readonly deleteStmt;

  constructor(db: Db) {
    this.listStmt = db.prepare<[string], Raw>('SELECT id, project, repositories, tags, created_at FROM immutability_rules WHERE project = ? ORDER BY id');
    this.insertStmt = db.prepare<[string, string, string, number], Raw>(
      'INSERT INTO immutability_rules (project, repositories, tags, created_at) VALUES (?, ?, ?, ?) RETURNING id, project, repositories, tags, created_at',
    );
    this.deleteStmt = db.prepare('DELETE FROM immutability_rules WHERE project = ? AND id = ?');
  }

  list(project: string): ImmutabilityRuleRow[] {
    return this.listStmt.all(project).map(toRow);
  }

  insert(project: string, repositories: string, tags: string, now = Date.now()): ImmutabilityRuleRow {
    return toRow(this.insertStmt.get(project, repositories, tags, now)!);
  }

  delete(project: string, id: number): boolean {
    return this.deleteStmt.run(project, id).changes > 0;
  }
}
