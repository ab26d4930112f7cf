import type { Readable } from 'node:stream';
import { DomainError } from '../errors.js';
import { parseDigest, type Digest } from '../oci/digest.js';
import { assertRepositoryName } from '../oci/reference.js';
import type { ByteRange } from '../store/blob-store.js';
import type { ByteSink } from '../store/send-file.js';
import type { Actor, RegistryContext } from './context.js';

export interface BlobInfo {
  digest: Digest;
  size: number;
}

/** Hook for policies (immutability) that must see a blob's unlinking before it happens; throws to refuse. */
export type BlobDeleteGuard = (change: { repository: string; digest: string; actor: Actor }) => void;

/** Reading, mounting and deleting committed blobs within a repository. */
export class BlobService {
  private readonly deleteGuards: BlobDeleteGuard[] = [];

  constructor(private readonly ctx: RegistryContext) {}

  addDeleteGuard(guard: BlobDeleteGuard): void {
    this.deleteGuards.push(guard);
  }

  /** The blob if this repository may read it; BLOB_UNKNOWN otherwise. */
  stat(repository: string, digestStr: string): BlobInfo {
    const digest = parseDigest(digestStr);
    assertRepositoryName(repository);
    const repo = this.ctx.meta.repositories.get(repository);
    const size = repo && this.ctx.meta.blobs.linkedSize(repo.id, digest.value);
    if (size === undefined) throw new DomainError('BLOB_UNKNOWN', `blob ${digest.value} is not in ${repository}`);
    return { digest, size };
  }

  open(blob: BlobInfo, range?: ByteRange): Readable {
    return this.ctx.store.open(blob.digest, range);
  }

  /** Writes the blob (or an inclusive range of it) into `sink`: blob GET's fast path. See BlobStore.send. */
  send(blob: BlobInfo, range: ByteRange | undefined, sink: ByteSink): Promise<void> {
    return this.ctx.store.send(blob.digest, range ?? { start: 0, end: blob.size - 1 }, sink);
  }

  /**
   * Links an existing blob into `repository`. With `from`, only a blob that repository holds; without, any
   * committed blob that `mayRead` accepts one holder of. Returns false when nothing could be mounted.
   */
  mount(repository: string, digestStr: string, from: string | undefined, actor: Actor, mayRead: (repo: string) => boolean): boolean {
    const digest = parseDigest(digestStr);
    assertRepositoryName(repository);
    const { meta } = this.ctx;
    if (from !== undefined) {
      assertRepositoryName(from);
      if (!mayRead(from)) return false;
      const source = meta.repositories.get(from);
      if (!source || meta.blobs.linkedSize(source.id, digest.value) === undefined) return false;
    } else if (!this.readableSomewhere(digest.value, mayRead)) {
      return false;
    }
    if (!this.ctx.store.existsSync(digest)) return false;
    const size = meta.blobs.size(digest.value)!;
    this.ctx.checkContent({ repository, digest: digest.value, size, cacheFill: false });
    this.ctx.tx(repository, () => {
      const repo = this.ctx.ensureRepository(repository);
      meta.blobs.link(repo.id, digest.value);
    });
    this.ctx.events.emit('blob.pushed', { repository, digest: digest.value, size, actor: actor.username, mounted: true });
    return true;
  }

  delete(repository: string, digestStr: string, actor: Actor): void {
    const digest = parseDigest(digestStr);
    const repo = this.ctx.repository(repository);
    for (const guard of this.deleteGuards) guard({ repository, digest: digest.value, actor });
    if (!this.ctx.meta.blobs.unlink(repo.id, digest.value)) {
      throw new DomainError('BLOB_UNKNOWN', `blob ${digest.value} is not in ${repository}`);
    }
    this.ctx.events.emit('blob.deleted', { repository, digest: digest.value, actor: actor.username });
  }

  private readableSomewhere(digest: string, mayRead: (repo: string) => boolean): boolean {
    return this.ctx.meta.blobs.holders(digest, 50).some((name) => mayRead(name));
  }
}
