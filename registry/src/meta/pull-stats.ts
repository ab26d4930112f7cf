import type { Db } from './db.js';

/** Width of one pull-statistics bucket: an hour keeps a year of history small (≤ 8,760 rows per repository). */
export const PULL_BUCKET_MS = 3_600_000;

export function pullBucket(at: number): number {
  return Math.floor(at / PULL_BUCKET_MS) * PULL_BUCKET_MS;
}

/**
 * Pull counts per repository per hour, for the dashboard. Written only by the batched PullRecorder (one
 * transaction every few seconds), never once per request.
 */
export class PullStatsTable {
  private readonly addStmt;
  private readonly seriesStmt;
  private readonly topStmt;
  private readonly totalStmt;
  private readonly pruneStmt;

  constructor(private readonly db: Db) {
    this.addStmt = db.prepare(
      // Through a SELECT so a repository deleted since the pull is skipped rather than failing the batch.
      `INSERT INTO pull_stats (bucket, repo_id, count) SELECT @bucket, id, @count FROM repositories WHERE id = @repoId
       ON CONFLICT(bucket, repo_id) DO UPDATE SET count = count + excluded.count`,
    );
    this.seriesStmt = db.prepare<[number], { bucket: number; count: number }>(
      'SELECT bucket, sum(count) AS count FROM pull_stats WHERE bucket >= ? GROUP BY bucket ORDER BY bucket',
    );
    this.topStmt = db.prepare<[number, number], { name: string; count: number }>(
      `SELECT r.name, sum(s.count) AS count FROM pull_stats s JOIN repositories r ON r.id = s.repo_id
       WHERE s.bucket >= ? GROUP BY s.repo_id ORDER BY count DESC, r.name LIMIT ?`,
    );
    this.totalStmt = db.prepare<[number], { n: number | null }>('SELECT sum(count) AS n FROM pull_stats WHERE bucket >= ?');
    this.pruneStmt = db.prepare('DELETE FROM pull_stats WHERE bucket < ?');
  }

  /** Adds counts in one transaction. */
  addMany(entries: Iterable<{ bucket: number; repoId: number; count: number }>): void {
    this.db.transaction(() => {
      for (const e of entries) this.addStmt.run({ bucket: e.bucket, repoId: e.repoId, count: e.count });
    })();
  }

  /** Pull counts since `from`, summed into steps of `stepMs` (a multiple of an hour); empty steps are absent. */
  series(from: number, stepMs: number): { at: number; count: number }[] {
    // Summed into steps here: numbers are bound as REAL, so integer division in SQL would not floor.
    const steps = new Map<number, number>();
    for (const r of this.seriesStmt.all(from)) {
      const at = Math.floor(r.bucket / stepMs) * stepMs;
      steps.set(at, (steps.get(at) ?? 0) + r.count);
    }
    return [...steps].map(([at, count]) => ({ at, count }));
  }

  top(from: number, limit: number): { repository: string; count: number }[] {
    return this.topStmt.all(from, limit).map((r) => ({ repository: r.name, count: r.count }));
  }

  total(from: number): number {
    return this.totalStmt.get(from)?.n ?? 0;
  }

  prune(olderThan: number): number {
    return this.pruneStmt.run(olderThan).changes;
  }
}
