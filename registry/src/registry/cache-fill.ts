import { parseDigest, type Digest } from '../oci/digest.js';
import type { Actor, RegistryContext } from './context.js';
import type { ManifestService } from './manifest-service.js';

/**
 * Content that arrives from a remote registry rather than from a client push (proxy cache fills): the same
 * commit rules as a push (bytes verified and fsynced before the row; synchronous from rename to row so GC
 * cannot interleave), without the push-only checks and events.
 */
export class CacheFillService {
  constructor(
    private readonly ctx: RegistryContext,
    private readonly manifests: ManifestService,
  ) {}

  /** Admits a fill of `size` bytes (undefined: unknown) against the disk reserve; returns the most it may write. */
  admit(size: number | undefined): Promise<number> {
    return this.ctx.uploads.admit(size);
  }

  /** The STORAGE_FULL error for a fill that outgrew what admit() allowed. */
  fullError(): Error {
    return this.ctx.uploads.fullError();
  }

  /** Moves a verified, fsynced file into place and links the blob into the repository. */
  commitBlob(repository: string, digest: Digest, file: string, size: number): void {
    this.ctx.commitBlobFile(repository, digest, file, size, { cacheFill: true });
  }

  /**
   * Links a blob that is already committed (cached for another repository) when a cached manifest of this
   * repository references it: no need to fetch the same bytes again. Returns the size, or undefined.
   */
  linkCached(repository: string, digestStr: string): number | undefined {
    const { meta, store } = this.ctx;
    const repo = meta.repositories.get(repository);
    const digest = parseDigest(digestStr);
    if (!repo || !meta.proxyCache.referencesBlob(repo.id, digest.value)) return undefined;
    const size = meta.blobs.size(digest.value);
    if (size === undefined || !store.existsSync(digest)) return undefined;
    this.ctx.checkContent({ repository, digest: digest.value, size, cacheFill: true });
    this.ctx.tx(repository, () => meta.blobs.link(repo.id, digest.value));
    return size;
  }

  /** Stores an upstream manifest (already digest-verified) under its digest and, when given, a tag. */
  async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string, actor: Actor): Promise<string> {
    const r = await this.manifests.put(repository, reference, bytes, mediaType, actor, { cacheFill: true });
    return r.digest;
  }
}
