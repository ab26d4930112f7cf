import type { Readable } from 'node:stream';
import { DomainError, isDomainError } from '../errors.js';
import { parseDigest } from '../oci/digest.js';
import { projectOf } from '../oci/reference.js';
import type { Registry, Actor } from '../registry/index.js';
import type { ReplicationTable } from '../meta/replication.js';
import type { ReferrerDescriptor } from '../upstream/client.js';
import type { BlobWrite, BlobWritten, DestinationSide, ManifestBytes, ManifestRef, SourceSide } from './sides.js';
import { throttled, type TokenBucket } from './throttle.js';
import { RangeUnsupportedError } from '../upstream/errors.js';

/** Saved upload positions of this Berth's own sessions (the table also holds remote Locations). */
const LOCAL_SESSION = 'berth-upload:';

/**
 * This Berth in either role. Writes go through the Registry service (uploads, manifests), so events, guards
 * and audit apply as for any push; the actor is `replication:<rule>`. Reads do not count as pulls.
 */
export class LocalSide implements SourceSide, DestinationSide {
  readonly label = 'berth';

  constructor(
    private readonly registry: Registry,
    private readonly table: ReplicationTable,
    private readonly actor: Actor,
    private readonly bucket: TokenBucket | undefined,
    /** Blobs larger than chunkBytes come in chunk by chunk into an upload session saved under the rule's name. */
    private readonly resume: { rule: string; chunkBytes: number } = { rule: '', chunkBytes: Number.MAX_SAFE_INTEGER },
  ) {}

  async catalog(): Promise<string[]> {
    return this.registry.content.catalog(undefined, undefined).items;
  }

  async tags(repository: string): Promise<string[] | undefined> {
    if (!this.registry.ctx.meta.repositories.get(repository)) return undefined;
    return this.registry.content.tags(repository, undefined, undefined).items;
  }

  async head(repository: string, reference: string): Promise<ManifestRef | undefined> {
    try {
      const { row } = this.registry.manifests.resolve(repository, reference);
      return { digest: row.digest, mediaType: row.mediaType };
    } catch (e) {
      if (isDomainError(e) && (e.code === 'MANIFEST_UNKNOWN' || e.code === 'NAME_UNKNOWN')) return undefined;
      throw e;
    }
  }

  async manifest(repository: string, digest: string): Promise<ManifestBytes> {
    const { row } = this.registry.manifests.resolve(repository, digest);
    const bytes = await this.registry.ctx.store.readSmall(parseDigest(row.digest));
    return { digest: row.digest, mediaType: row.mediaType, bytes };
  }

  async openBlob(repository: string, digest: string, _size: number, range?: { start: number; end: number }): Promise<Readable> {
    return this.registry.blobs.open(this.registry.blobs.stat(repository, digest), range);
  }

  async referrers(repository: string, digest: string): Promise<ReferrerDescriptor[]> {
    return this.registry.content.referrers(repository, digest, undefined).manifests;
  }

  async tagTimes(repository: string): Promise<Map<string, number>> {
    return this.table.tagTimes(repository);
  }

  // ---- destination ----

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    try {
      this.registry.blobs.stat(repository, digest);
      return true;
    } catch (e) {
      if (isDomainError(e) && e.code === 'BLOB_UNKNOWN') return false;
      throw e;
    }
  }

  /** Any repository of this Berth that holds the blob will do: content is content. */
  async mountBlob(repository: string, digest: string): Promise<boolean> {
    this.assertWritable(repository);
    return this.registry.blobs.mount(repository, digest, undefined, this.actor, () => true);
  }

  /**
   * Small blobs stream in one piece. Larger ones arrive in chunks (ranged reads from the source), each
   * appended to a local upload session whose id is saved with the rule: a link that drops mid-blob, a retry
   * or the next run continues from the last whole chunk instead of from byte 0.
   */
  async writeBlob(w: BlobWrite): Promise<BlobWritten> {
    this.assertWritable(w.repository);
    const { rule, chunkBytes } = this.resume;
    if (w.size <= chunkBytes) return this.writeWhole(w);
    try {
      return await this.writeChunked(w);
    } catch (e) {
      // A source without byte ranges (rare: every major registry has them) still copies, just not resumably.
      if (!(e instanceof RangeUnsupportedError)) throw e;
      const saved = await this.savedSession(w);
      if (saved) await this.registry.uploads.cancel(w.repository, saved.id).catch(() => undefined);
      this.table.dropUpload(rule, w.repository, w.digest);
      return this.writeWhole(w);
    }
  }

  private async writeWhole(w: BlobWrite): Promise<{ resumedFrom: number }> {
    const upload = await this.registry.uploads.start(w.repository);
    try {
      await this.registry.uploads.complete(w.repository, upload.id, w.digest, await this.bodyFrom(w, 0), { contentLength: w.size }, this.actor);
      return { resumedFrom: 0 };
    } catch (e) {
      await this.registry.uploads.cancel(w.repository, upload.id).catch(() => undefined);
      throw e;
    }
  }

  private async writeChunked(w: BlobWrite): Promise<{ resumedFrom: number }> {
    const { rule, chunkBytes } = this.resume;
    let upload = await this.savedSession(w);
    const resumedFrom = upload?.offset ?? 0;
    upload ??= await this.registry.uploads.start(w.repository);
    this.table.saveUpload(rule, w.repository, w.digest, { location: `${LOCAL_SESSION}${upload.id}`, offset: upload.offset });
    while (upload.offset < w.size) {
      const start = upload.offset;
      const len = Math.min(chunkBytes, w.size - start);
      // A chunk that breaks is rolled back by the upload store, so the session always ends on a whole chunk.
      upload = await this.registry.uploads.append(w.repository, upload.id, await this.bodyFrom(w, start, start + len - 1), { contentLength: len });
      this.table.saveUpload(rule, w.repository, w.digest, { location: `${LOCAL_SESSION}${upload.id}`, offset: upload.offset });
    }
    try {
      await this.registry.uploads.complete(w.repository, upload.id, w.digest, undefined, {}, this.actor);
    } catch (e) {
      // The bytes are all there and wrong (the source changed under the digest): start afresh next time.
      if (isDomainError(e) && (e.code === 'DIGEST_INVALID' || e.code === 'SIZE_INVALID')) {
        this.table.dropUpload(rule, w.repository, w.digest);
        await this.registry.uploads.cancel(w.repository, upload.id).catch(() => undefined);
      }
      throw e;
    }
    this.table.dropUpload(rule, w.repository, w.digest);
    return { resumedFrom };
  }

  private async bodyFrom(w: BlobWrite, start: number, end?: number): Promise<Readable> {
    const src = await w.open(start, end);
    const body = throttled(this.bucket, w.onBytes);
    src.on('error', (e) => body.destroy(e));
    // The source may fail before the upload store starts reading (a short body from a lying remote): the body
    // stays errored for its reader; without a listener that error would crash the process meanwhile.
    body.on('error', () => undefined);
    return src.pipe(body);
  }

  /** The local upload session an earlier attempt left for this blob, if it still exists. */
  private async savedSession(w: BlobWrite): Promise<{ id: string; offset: number } | undefined> {
    const saved = this.table.savedUpload(this.resume.rule, w.repository, w.digest);
    if (!saved?.location.startsWith(LOCAL_SESSION)) return undefined;
    const id = saved.location.slice(LOCAL_SESSION.length);
    const state = await this.registry.uploads.status(w.repository, id).catch(() => undefined);
    if (!state || state.offset > w.size) {
      this.table.dropUpload(this.resume.rule, w.repository, w.digest);
      return undefined;
    }
    return { id, offset: state.offset };
  }

  async putManifest(repository: string, reference: string, m: ManifestBytes): Promise<void> {
    this.assertWritable(repository);
    await this.registry.manifests.put(repository, reference, m.bytes, m.mediaType, this.actor);
  }

  async deleteTag(repository: string, tag: string): Promise<void> {
    this.registry.manifests.delete(repository, tag, this.actor);
  }

  /** Berth answers the referrers API itself. */
  async indexReferrers(): Promise<void> {}

  private assertWritable(repository: string): void {
    if (this.registry.ctx.meta.repositories.project(projectOf(repository))?.kind === 'proxy') {
      throw new DomainError('DENIED', `${repository} is in a proxy project; replicate into a local project`);
    }
  }
}
