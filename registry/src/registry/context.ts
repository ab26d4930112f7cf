import type { Meta } from '../meta/index.js';
import type { BlobStore } from '../store/blob-store.js';
import type { UploadStore } from '../store/upload-store.js';
import type { EventBus } from '../events/event-bus.js';
import type { RepositoryRow } from '../meta/repositories.js';
import { RegistryError } from '../oci/errors.js';
import { assertRepositoryName, projectOf } from '../oci/reference.js';
import { ManifestCache } from './manifest-cache.js';
import { PullRecorder } from './pull-recorder.js';

/** Who asks. Services do not authorize (http/ does); they record the actor in events and audit. */
export interface Actor {
  username: string | undefined;
}

export const anonymous: Actor = { username: undefined };

/** Collaborators shared by the registry's services. */
export class RegistryContext {
  readonly manifestCache: ManifestCache;
  readonly pulls: PullRecorder;

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

  /** An existing repository, or NAME_UNKNOWN. Validates the name first. */
  repository(name: string): RepositoryRow {
    assertRepositoryName(name);
    const repo = this.meta.repositories.get(name);
    if (!repo) throw new RegistryError('NAME_UNKNOWN', `repository ${name} is not known to this registry`);
    return repo;
  }

  /** The repository, created on first write. Call inside a transaction. */
  ensureRepository(name: string): RepositoryRow {
    assertRepositoryName(name);
    return this.meta.repositories.ensure(name, projectOf(name));
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
