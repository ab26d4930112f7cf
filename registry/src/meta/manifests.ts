import type { Db } from './db.js';

export interface ManifestRow {
  digest: string;
  mediaType: string;
  size: number;
  artifactType: string | null;
  subject: string | null;
  annotations: Record<string, string> | null;
  createdAt: number;
}

export interface NewManifest {
  repoId: number;
  digest: string;
  mediaType: string;
  size: number;
  artifactType: string | undefined;
  subject: string | undefined;
  annotations: Record<string, string> | undefined;
  refs: { child: string; kind: 'blob' | 'manifest' }[];
}

interface RawManifest {
  digest: string;
  media_type: string;
  size: number;
  artifact_type: string | null;
  subject: string | null;
  annotations: string | null;
  created_at: number;
}

function toRow(r: RawManifest): ManifestRow {
  return {
    digest: r.digest,
    mediaType: r.media_type,
    size: r.size,
    artifactType: r.artifact_type,
    subject: r.subject,
    annotations: r.annotations ? (JSON.parse(r.annotations) as Record<string, string>) : null,
    createdAt: r.created_at,
  };
}

const cols = 'digest, media_type, size, artifact_type, subject, annotations, created_at';

/** Manifests, what they reference, and tags. */
export class ManifestTable {
  private readonly getStmt;
  private readonly byTagStmt;
  private readonly insertStmt;
  private readonly insertRef;
  private readonly deleteStmt;
  private readonly tagStmt;
  private readonly getTagStmt;
  private readonly deleteTagStmt;
  private readonly listTagsStmt;
  private readonly tagsOfStmt;
  private readonly referrersStmt;
  private readonly countStmt;
  private readonly listStmt;
  private readonly touchStmt;
  private readonly childRefStmt;
  private readonly parentsStmt;
  /**
   * Tag → manifest rows: a manifest GET by tag is the hottest read, tag and manifest writes are rare, so every
   * write here (and a repository's deletion, see invalidate) drops the whole map. Misses are cached too.
   */
  private readonly tagCache = new Map<string, ManifestRow | null>();
  private static readonly tagCacheMax = 4096;

  constructor(private readonly db: Db) {
    this.getStmt = db.prepare<[number, string], RawManifest>(`SELECT ${cols} FROM manifests WHERE repo_id = ? AND digest = ?`);
    this.byTagStmt = db.prepare<[number, string], RawManifest>(
      `SELECT ${cols.split(', ').map((c) => `m.${c}`).join(', ')} FROM tags t JOIN manifests m ON m.repo_id = t.repo_id AND m.digest = t.digest
       WHERE t.repo_id = ? AND t.name = ?`,
    );
    this.insertStmt = db.prepare(
      `INSERT INTO manifests (repo_id, digest, media_type, size, artifact_type, subject, annotations, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(repo_id, digest) DO NOTHING`,
    );
    this.insertRef = db.prepare(
      'INSERT INTO manifest_refs (repo_id, parent, child, kind) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.deleteStmt = db.prepare('DELETE FROM manifests WHERE repo_id = ? AND digest = ?');
    this.tagStmt = db.prepare(
      `INSERT INTO tags (repo_id, name, digest, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(repo_id, name) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at`,
    );
    this.getTagStmt = db.prepare<[number, string], { digest: string }>('SELECT digest FROM tags WHERE repo_id = ? AND name = ?');
    this.deleteTagStmt = db.prepare('DELETE FROM tags WHERE repo_id = ? AND name = ?');
    this.listTagsStmt = db.prepare<[number, string, number], { name: string }>(
      'SELECT name FROM tags WHERE repo_id = ? AND name > ? ORDER BY name LIMIT ?',
    );
    this.tagsOfStmt = db.prepare<[number, string], { name: string }>('SELECT name FROM tags WHERE repo_id = ? AND digest = ? ORDER BY name');
    this.referrersStmt = db.prepare<[number, string], RawManifest>(
      `SELECT ${cols} FROM manifests WHERE repo_id = ? AND subject = ? ORDER BY created_at, digest`,
    );
    this.countStmt = db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM manifests WHERE repo_id = ?');
    this.listStmt = db.prepare<[number], RawManifest>(`SELECT ${cols} FROM manifests WHERE repo_id = ? ORDER BY created_at DESC`);
    this.touchStmt = db.prepare('UPDATE manifests SET last_pulled_at = ? WHERE repo_id = ? AND digest = ?');
    this.childRefStmt = db.prepare<[number, string], { parent: string }>(
      "SELECT parent FROM manifest_refs WHERE repo_id = ? AND child = ? AND kind = 'manifest' LIMIT 1",
    );
    this.parentsStmt = db.prepare<[string, number], { parent: string }>('SELECT parent FROM manifest_refs WHERE child = ? AND repo_id = ?');
  }

  get(repoId: number, digest: string): ManifestRow | undefined {
    const r = this.getStmt.get(repoId, digest);
    return r && toRow(r);
  }

  byTag(repoId: number, tag: string): ManifestRow | undefined {
    // Inside a transaction the row may be uncommitted (and rolled back): read it, never cache it.
    if (this.db.inTransaction) {
      const r = this.byTagStmt.get(repoId, tag);
      return r && toRow(r);
    }
    const key = `${repoId}\0${tag}`;
    const hit = this.tagCache.get(key);
    if (hit !== undefined) return hit ?? undefined;
    const r = this.byTagStmt.get(repoId, tag);
    const row = r ? toRow(r) : undefined;
    if (this.tagCache.size >= ManifestTable.tagCacheMax) this.tagCache.clear();
    this.tagCache.set(key, row ?? null);
    return row;
  }

  /** Drops cached tag lookups (a repository was deleted: its tags went by cascade, its id may be reused). */
  invalidate(): void {
    this.tagCache.clear();
  }

  insert(m: NewManifest, now = Date.now()): void {
    this.tagCache.clear();
    this.insertStmt.run(
      m.repoId,
      m.digest,
      m.mediaType,
      m.size,
      m.artifactType ?? null,
      m.subject ?? null,
      m.annotations ? JSON.stringify(m.annotations) : null,
      now,
    );
    for (const r of m.refs) this.insertRef.run(m.repoId, m.digest, r.child, r.kind);
  }

  delete(repoId: number, digest: string): boolean {
    this.tagCache.clear();
    return this.deleteStmt.run(repoId, digest).changes > 0;
  }

  tag(repoId: number, name: string, digest: string, now = Date.now()): void {
    this.tagCache.clear();
    this.tagStmt.run(repoId, name, digest, now);
  }

  tagDigest(repoId: number, name: string): string | undefined {
    return this.getTagStmt.get(repoId, name)?.digest;
  }

  deleteTag(repoId: number, name: string): boolean {
    this.tagCache.clear();
    return this.deleteTagStmt.run(repoId, name).changes > 0;
  }

  tags(repoId: number, last: string, n: number): string[] {
    return this.listTagsStmt.all(repoId, last, n).map((r) => r.name);
  }

  tagsOf(repoId: number, digest: string): string[] {
    return this.tagsOfStmt.all(repoId, digest).map((r) => r.name);
  }

  referrers(repoId: number, subject: string): ManifestRow[] {
    return this.referrersStmt.all(repoId, subject).map(toRow);
  }

  count(repoId: number): number {
    return this.countStmt.get(repoId)!.n;
  }

  list(repoId: number): ManifestRow[] {
    return this.listStmt.all(repoId).map(toRow);
  }

  /** An index in this repository that lists the manifest, if any. */
  parentIndex(repoId: number, digest: string): string | undefined {
    return this.childRefStmt.get(repoId, digest)?.parent;
  }

  /** Every manifest of the repository that lists `child` (a blob it uses, or a manifest of an index). */
  parents(repoId: number, child: string): string[] {
    return this.parentsStmt.all(child, repoId).map((r) => r.parent);
  }

  /** Batched last-pulled updates (see registry/pull-recorder). */
  touchMany(entries: Iterable<{ repoId: number; digest: string; at: number }>): void {
    this.db.transaction(() => {
      for (const e of entries) this.touchStmt.run(e.at, e.repoId, e.digest);
    })();
  }
}
