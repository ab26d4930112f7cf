import type { Db } from './db.js';

export interface AuditEntry {
  id: number;
  at: number;
  type: string;
  actor: string | null;
  repository: string | null;
  reference: string | null;
  detail: unknown;
}

export class AuditTable {
  private readonly insertStmt;
  private readonly recentStmt;
  private readonly pruneStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare('INSERT INTO audit (at, type, actor, repository, reference, detail) VALUES (?, ?, ?, ?, ?, ?)');
    this.recentStmt = db.prepare<[number, number], { id: number; at: number; type: string; actor: string | null; repository: string | null; reference: string | null; detail: string | null }>(
      'SELECT * FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?',
    );
    this.pruneStmt = db.prepare('DELETE FROM audit WHERE at < ?');
  }

  add(e: Omit<AuditEntry, 'id'>): void {
    this.insertStmt.run(e.at, e.type, e.actor, e.repository, e.reference, e.detail === undefined ? null : JSON.stringify(e.detail));
  }

  recent(limit: number, before = Number.MAX_SAFE_INTEGER): AuditEntry[] {
    return this.recentStmt.all(before, limit).map((r) => ({ ...r, detail: r.detail ? (JSON.parse(r.detail) as unknown) : null }));
  }

  prune(olderThan: number): number {
    return this.pruneStmt.run(olderThan).changes;
  }
}
