import type { Db } from './db.js';

/** Blob rows (what is committed) and repository links (who may read it). */
export class BlobTable {
  private readonly insertBlob;
  private readonly getBlob;
  private readonly insertLink;
  private readonly getLink;
  private readonly deleteLinkStmt;
  private readonly deleteBlobStmt;
  private readonly isReferencedStmt;
  private readonly staleLinksStmt;
  private readonly deleteStaleLinkStmt;
  private readonly allBlobsStmt;
  private readonly totalStmt;
  private readonly holdersStmt;
  private readonly byManifestStmt;

  constructor(db: Db) {
    this.insertBlob = db.prepare('INSERT INTO blobs (digest, size, created_at) VALUES (?, ?, ?) ON CONFLICT(digest) DO NOTHING');
    this.getBlob = db.prepare<[string], { size: number }>('SELECT size FROM blobs WHERE digest = ?');
    this.insertLink = db.prepare(
      'INSERT INTO repo_blobs (repo_id, digest, created_at) VALUES (?, ?, ?) ON CONFLICT(repo_id, digest) DO UPDATE SET created_at = excluded.created_at',
    );
    // A repository can read a blob it links, or the content of one of its manifests.
    this.getLink = db.prepare<[{ repo: number; digest: string }], { size: number }>(
      `SELECT b.size FROM blobs b WHERE b.digest = @digest AND (
         EXISTS (SELECT 1 FROM repo_blobs l WHERE l.repo_id = @repo AND l.digest = @digest)
         OR EXISTS (SELECT 1 FROM manifests m WHERE m.repo_id = @repo AND m.digest = @digest))`,
    );
    this.deleteLinkStmt = db.prepare('DELETE FROM repo_blobs WHERE repo_id = ? AND digest = ?');
    this.deleteBlobStmt = db.prepare('DELETE FROM blobs WHERE digest = ?');
    this.isReferencedStmt = db.prepare<[{ digest: string }], { x: number }>(
      `SELECT 1 AS x FROM repo_blobs WHERE digest = @digest
       UNION ALL SELECT 1 FROM manifests WHERE digest = @digest
       UNION ALL SELECT 1 FROM manifest_refs WHERE child = @digest AND kind = 'blob' LIMIT 1`,
    );
    // Links older than the cutoff whose blob no manifest of that repository uses: leftovers of abandoned
    // pushes, deleted manifests or mounts that were never used.
    this.staleLinksStmt = db.prepare<[number], { repo_id: number; digest: string }>(
      `SELECT l.repo_id, l.digest FROM repo_blobs l WHERE l.created_at < ?
         AND NOT EXISTS (SELECT 1 FROM manifest_refs r WHERE r.repo_id = l.repo_id AND r.child = l.digest)
         AND NOT EXISTS (SELECT 1 FROM manifests m WHERE m.repo_id = l.repo_id AND m.digest = l.digest)`,
    );
    this.deleteStaleLinkStmt = db.prepare('DELETE FROM repo_blobs WHERE repo_id = ? AND digest = ? AND created_at < ?');
    this.allBlobsStmt = db.prepare<[number], { digest: string; size: number }>(
      'SELECT digest, size FROM blobs WHERE created_at < ?',
    );
    this.holdersStmt = db.prepare<[string, number], { name: string }>(
      'SELECT r.name FROM repo_blobs l JOIN repositories r ON r.id = l.repo_id WHERE l.digest = ? ORDER BY r.name LIMIT ?',
    );
    this.byManifestStmt = db.prepare<[{ digest: string }], { x: number }>(
      `SELECT 1 AS x FROM manifests WHERE digest = @digest
       UNION ALL SELECT 1 FROM manifest_refs WHERE child = @digest AND kind = 'blob' LIMIT 1`,
    );
    this.totalStmt = db.prepare<[], { n: number; bytes: number | null }>('SELECT count(*) AS n, sum(size) AS bytes FROM blobs');
  }

  addBlob(digest: string, size: number, now = Date.now()): void {
    this.insertBlob.run(digest, size, now);
  }

  size(digest: string): number | undefined {
    return this.getBlob.get(digest)?.size;
  }

  link(repoId: number, digest: string, now = Date.now()): void {
    this.insertLink.run(repoId, digest, now);
  }

  /** Size of the blob if this repository may read it. */
  linkedSize(repoId: number, digest: string): number | undefined {
    return this.getLink.get({ repo: repoId, digest })?.size;
  }

  /** Names of repositories that link the blob. */
  holders(digest: string, limit: number): string[] {
    return this.holdersStmt.all(digest, limit).map((r) => r.name);
  }

  unlink(repoId: number, digest: string): boolean {
    return this.deleteLinkStmt.run(repoId, digest).changes > 0;
  }

  isReferenced(digest: string): boolean {
    return this.isReferencedStmt.get({ digest }) !== undefined;
  }

  /** Referenced as manifest content or by a manifest, links aside. */
  isReferencedByManifest(digest: string): boolean {
    return this.byManifestStmt.get({ digest }) !== undefined;
  }

  staleLinks(cutoff: number): { repoId: number; digest: string }[] {
    return this.staleLinksStmt.all(cutoff).map((r) => ({ repoId: r.repo_id, digest: r.digest }));
  }

  deleteStaleLink(repoId: number, digest: string, cutoff: number): boolean {
    return this.deleteStaleLinkStmt.run(repoId, digest, cutoff).changes > 0;
  }

  deleteBlob(digest: string): void {
    this.deleteBlobStmt.run(digest);
  }

  /** Blob rows created before the cutoff (GC candidates). */
  olderThan(cutoff: number): { digest: string; size: number }[] {
    return this.allBlobsStmt.all(cutoff);
  }

  totals(): { count: number; bytes: number } {
    const r = this.totalStmt.get()!;
    return { count: r.n, bytes: r.bytes ?? 0 };
  }
}
