import type { Meta } from '../meta/index.js';
import type { BlobStore } from '../store/blob-store.js';
import type { UploadStore } from '../store/upload-store.js';
import type { EventBus } from '../events/event-bus.js';
import type { RepositoryRow } from '../meta/repositories.js';
import { DomainError } from '../errors.js';
import type { Digest } from '../oci/digest.js';
import { storageError } from '../store/fs-util.js';
import { assertRepositoryName, projectOf } from '../oci/reference.js';
import { ManifestCache } from './manifest-cache.js';
import { PullRecorder } from './pull-recorder.js';

/** Who asks. Services do not authorize (http/ does); they record the actor in events and audit. */
export interface Actor {
  username: string | undefined;
}

export const anonymous: Actor = { username: undefined };

/**
 * Hook for policies (project quotas) that must see content before it is linked into a repository: blob
 * uploads, mounts, manifests, imports and proxy cache fills (`cacheFill`). Throws to refuse. Runs in the same
 * synchronous step as the link, so nothing else can change the figures it looked at in between. Uploads also
 * ask before they accept bytes whose length the client declared; while the digest is not known yet (a chunk
 * of a session) `digest` is undefined and `size` is the least the finished blob will be.
 */
export type ContentGuard = (add: { repository: string; digest: string | undefined; size: number; cacheFill: boolean }) => void;

/** Collaborators shared by the registry's services. */
export class RegistryContext {
  readonly manifestCache: ManifestCache;
  readonly pulls: PullRecorder;
  private readonly contentGuards: ContentGuard[] = [];

  constructor(
    readonly meta: Meta,
    readonly store: BlobStore,
    readonly uploads: UploadStore,
    readonly events: EventBus,
    opts: { manifestCacheBytes?: number; pullFlushMs?: number } = {},
  ) {
    this.manifestCache = new ManifestCache(opts.manifestCacheBytes ?? 32 * 1024 * 1024);
    this.pulls = new PullRecorder(meta.manifests, opts.pullFlushMs, meta.pullStats);
  }

  addContentGuard(guard: ContentGuard): void {
    this.contentGuards.push(guard);
  }

  checkContent(add: Parameters<ContentGuard>[0]): void {
    for (const guard of this.contentGuards) guard(add);
  }

  /** An existing repository, or NAME_UNKNOWN. Validates the name first. */
  repository(name: string): RepositoryRow {
    assertRepositoryName(name);
    const repo = this.meta.repositories.get(name);
    if (!repo) throw new DomainError('NAME_UNKNOWN', `repository ${name} is not known to this registry`);
    return repo;
  }

  /** The repository, created on first write. Call inside a transaction. */
  ensureRepository(name: string): RepositoryRow {
    assertRepositoryName(name);
    return this.meta.repositories.ensure(name, projectOf(name));
  }

  /**
   * Moves a verified, fsynced file into place and links the blob into the repository. Synchronous from
   * rename to row, so GC (also synchronous per blob) can never interleave. Used by every path that commits
   * a blob from a local file: client uploads and proxy cache fills.
   */
  commitBlobFile(repository: string, digest: Digest, file: string, size: number, opts: { cacheFill?: boolean } = {}): void {
    const { meta, store } = this;
    // Before the rename, so a refused blob (quota) leaves no file in the store.
    this.checkContent({ repository, digest: digest.value, size, cacheFill: opts.cacheFill ?? false });
    try {
      if (meta.blobs.size(digest.value) === undefined || !store.existsSync(digest)) store.commitFileSync(file, digest);
      this.tx(repository, () => {
        const repo = this.ensureRepository(repository);
        meta.blobs.addBlob(digest.value, size);
        meta.blobs.link(repo.id, digest.value);
      });
    } catch (e) {
      throw storageError(e);
    }
  }

  /** Runs a metadata transaction; forgets cached repository rows if it rolls back. */
  tx<T>(repository: string, fn: () => T): T {
    try {
      return this.meta.tx(fn);
    } catch (e) {
      this.meta.repositories.forget(repository);
      throw e;
    }
  }
}
