import type { Db } from './db.js';

export interface RepositorySummary {
  name: string;
  project: string;
  createdAt: number;
  manifestCount: number;
  tagCount: number;
  /** Bytes of the distinct blobs and manifests this repository's manifests use. */
  bytes: number;
  lastPushedAt: number | null;
  lastPulledAt: number | null;
}

export interface TagRow {
  name: string;
  digest: string;
  updatedAt: number;
}

export interface ManifestSummary {
  digest: string;
  mediaType: string;
  size: number;
  artifactType: string | null;
  subject: string | null;
  createdAt: number;
  lastPulledAt: number | null;
  /** Sum of the blobs (config, layers) the manifest itself references; 0 for an index. */
  blobBytes: number;
}

interface RawSummary {
  name: string;
  project: string;
  created_at: number;
  manifests: number;
  tags: number;
  bytes: number;
  last_manifest: number | null;
  last_tag: number | null;
  last_pulled: number | null;
}

/**
 * Read-only views over repositories, manifests and tags for the admin API and GUI. Each list is paged and
 * each query walks indexed rows of one repository at a time.
 */
export class InventoryQueries {
  private readonly listStmt;
  private readonly countStmt;
  private readonly oneStmt;
  private readonly tagsStmt;
  private readonly manifestsStmt;
  private readonly manifestStmt;
  private readonly childrenStmt;
  private readonly blobsStmt;
  private readonly parentsStmt;
  private readonly manifestCountStmt;

  constructor(db: Db) {
    const summary = `SELECT r.name, r.project, r.created_at,
        (SELECT count(*) FROM manifests m WHERE m.repo_id = r.id) AS manifests,
        (SELECT count(*) FROM tags t WHERE t.repo_id = r.id) AS tags,
        (SELECT coalesce(sum(b.size), 0) FROM blobs b WHERE b.digest IN (
            SELECT child FROM manifest_refs WHERE repo_id = r.id AND kind = 'blob'
            UNION SELECT digest FROM manifests WHERE repo_id = r.id)) AS bytes,
        (SELECT max(m.created_at) FROM manifests m WHERE m.repo_id = r.id) AS last_manifest,
        (SELECT max(t.updated_at) FROM tags t WHERE t.repo_id = r.id) AS last_tag,
        (SELECT max(m.last_pulled_at) FROM manifests m WHERE m.repo_id = r.id) AS last_pulled
      FROM repositories r`;
    const listed = "EXISTS (SELECT 1 FROM manifests m WHERE m.repo_id = r.id) AND r.name LIKE ? ESCAPE '\\'";
    this.listStmt = db.prepare<[string, number, number], RawSummary>(`${summary} WHERE ${listed} ORDER BY r.name LIMIT ? OFFSET ?`);
    this.countStmt = db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM repositories r WHERE ${listed}`);
    this.oneStmt = db.prepare<[string], RawSummary>(`${summary} WHERE r.name = ?`);
    this.tagsStmt = db.prepare<[string], { name: string; digest: string; updated_at: number }>(
      'SELECT t.name, t.digest, t.updated_at FROM tags t JOIN repositories r ON r.id = t.repo_id WHERE r.name = ? ORDER BY t.updated_at DESC, t.name',
    );
    const manifestCols = `m.digest, m.media_type, m.size, m.artifact_type, m.subject, m.created_at, m.last_pulled_at,
        (SELECT coalesce(sum(b.size), 0) FROM manifest_refs x JOIN blobs b ON b.digest = x.child
          WHERE x.repo_id = m.repo_id AND x.parent = m.digest AND x.kind = 'blob') AS blob_bytes`;
    this.manifestsStmt = db.prepare<[string, number], RawManifest>(
      `SELECT ${manifestCols} FROM manifests m JOIN repositories r ON r.id = m.repo_id WHERE r.name = ? ORDER BY m.created_at DESC, m.digest LIMIT ?`,
    );
    this.manifestStmt = db.prepare<[string, string], RawManifest>(
      `SELECT ${manifestCols} FROM manifests m JOIN repositories r ON r.id = m.repo_id WHERE r.name = ? AND m.digest = ?`,
    );
    this.childrenStmt = db.prepare<[string, string], { child: string }>(
      "SELECT x.child FROM manifest_refs x JOIN repositories r ON r.id = x.repo_id WHERE r.name = ? AND x.parent = ? AND x.kind = 'manifest'",
    );
    this.blobsStmt = db.prepare<[string, string], { digest: string; size: number }>(
      `SELECT b.digest, b.size FROM manifest_refs x JOIN repositories r ON r.id = x.repo_id JOIN blobs b ON b.digest = x.child
       WHERE r.name = ? AND x.parent = ? AND x.kind = 'blob'`,
    );
    this.parentsStmt = db.prepare<[string, string], { parent: string }>(
      "SELECT x.parent FROM manifest_refs x JOIN repositories r ON r.id = x.repo_id WHERE r.name = ? AND x.child = ? AND x.kind = 'manifest' ORDER BY x.parent",
    );
    this.manifestCountStmt = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM manifests');
  }

  repositories(filter: string, limit: number, offset: number): { items: RepositorySummary[]; total: number } {
    const like = `%${filter.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return { items: this.listStmt.all(like, limit, offset).map(toSummary), total: this.countStmt.get(like)!.n };
  }

  repository(name: string): RepositorySummary | undefined {
    const r = this.oneStmt.get(name);
    return r && toSummary(r);
  }

  tags(repository: string): TagRow[] {
    return this.tagsStmt.all(repository).map((t) => ({ name: t.name, digest: t.digest, updatedAt: t.updated_at }));
  }

  manifests(repository: string, limit: number): ManifestSummary[] {
    return this.manifestsStmt.all(repository, limit).map(toManifest);
  }

  manifest(repository: string, digest: string): ManifestSummary | undefined {
    const r = this.manifestStmt.get(repository, digest);
    return r && toManifest(r);
  }

  /** Manifests an index lists. */
  children(repository: string, digest: string): string[] {
    return this.childrenStmt.all(repository, digest).map((r) => r.child);
  }

  /** Blobs (config, layers) a manifest references, with their stored sizes. */
  blobs(repository: string, digest: string): { digest: string; size: number }[] {
    return this.blobsStmt.all(repository, digest);
  }

  /** Indexes that list this manifest. */
  parents(repository: string, digest: string): string[] {
    return this.parentsStmt.all(repository, digest).map((r) => r.parent);
  }

  manifestCount(): number {
    return this.manifestCountStmt.get()!.n;
  }
}

interface RawManifest {
  digest: string;
  media_type: string;
  size: number;
  artifact_type: string | null;
  subject: string | null;
  created_at: number;
  last_pulled_at: number | null;
  blob_bytes: number;
}

function toSummary(r: RawSummary): RepositorySummary {
  const pushed = Math.max(r.last_manifest ?? 0, r.last_tag ?? 0);
  return {
    name: r.name,
    project: r.project,
    createdAt: r.created_at,
    manifestCount: r.manifests,
    tagCount: r.tags,
    bytes: r.bytes,
    lastPushedAt: pushed || null,
    lastPulledAt: r.last_pulled,
  };
}

function toManifest(r: RawManifest): ManifestSummary {
  return {
    digest: r.digest,
    mediaType: r.media_type,
    size: r.size,
    artifactType: r.artifact_type,
    subject: r.subject,
    createdAt: r.created_at,
    lastPulledAt: r.last_pulled_at,
    blobBytes: r.blob_bytes,
  };
}
