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
  private readonly pageStmt;
  private readonly latestStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare('INSERT INTO audit (at, type, actor, repository, reference, detail) VALUES (?, ?, ?, ?, ?, ?)');
    this.recentStmt = db.prepare<[number, number], { id: number; at: number; type: string; actor: string | null; repository: string | null; reference: string | null; detail: string | null }>(
      'SELECT * FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?',
    );
    this.pruneStmt = db.prepare('DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < ? ORDER BY id LIMIT ?)');
    this.pageStmt = db.prepare<[{ before: number; limit: number; type: string | null; prefix: string | null; repository: string | null }], RawAudit>(
      `SELECT * FROM audit WHERE id < @before AND (@type IS NULL OR type = @type)
         AND (@prefix IS NULL OR substr(type, 1, length(@prefix)) = @prefix)
         AND (@repository IS NULL OR repository = @repository)
       ORDER BY id DESC LIMIT @limit`,
    );
    this.latestStmt = db.prepare<[string], RawAudit>('SELECT * FROM audit WHERE type = ? ORDER BY id DESC LIMIT 1');
  }

  add(e: Omit<AuditEntry, 'id'>): void {
    this.insertStmt.run(e.at, e.type, e.actor, e.repository, e.reference, e.detail === undefined ? null : JSON.stringify(e.detail));
  }

  recent(limit: number, before = Number.MAX_SAFE_INTEGER): AuditEntry[] {
    return this.recentStmt.all(before, limit).map((r) => ({ ...r, detail: r.detail ? (JSON.parse(r.detail) as unknown) : null }));
  }

  /** Newest first, filtered by exact type, type prefix (`manifest.`) and repository. */
  page(q: { before?: number; limit: number; type?: string; typePrefix?: string; repository?: string }): AuditEntry[] {
    return this.pageStmt
      .all({ before: q.before ?? Number.MAX_SAFE_INTEGER, limit: q.limit, type: q.type ?? null, prefix: q.typePrefix ?? null, repository: q.repository ?? null })
      .map(fromRaw);
  }

  latest(type: string): AuditEntry | undefined {
    const r = this.latestStmt.get(type);
    return r && fromRaw(r);
  }

  /** Deletes up to `limit` entries older than `olderThan` (oldest first); callers loop so pushes are not held up. */
  prune(olderThan: number, limit = 5000): number {
    return this.pruneStmt.run(olderThan, limit).changes;
  }
}

type RawAudit = { id: number; at: number; type: string; actor: string | null; repository: string | null; reference: string | null; detail: string | null };

function fromRaw(r: RawAudit): AuditEntry {
  return { ...r, detail: r.detail ? (JSON.parse(r.detail) as unknown) : null };
}
