import type { Readable } from 'node:stream';
import { UpstreamError, isUpstreamError } from '../upstream/errors.js';
import type { ReferrerDescriptor, UpstreamClient, UploadSession } from '../upstream/client.js';
import { MediaTypes, isIndexMediaType } from '../oci/media-types.js';
import type { ReplicationTable } from '../meta/replication.js';
import type { BlobWrite, BlobWritten, DestinationSide, ManifestBytes, ManifestRef, SourceSide } from './sides.js';
import { throttled, type TokenBucket } from './throttle.js';

export interface RemoteSideOptions {
  /** The rule, to key saved upload sessions. */
  rule: string;
  table: ReplicationTable;
  /** Blobs larger than this go up in resumable chunks of this size; smaller ones in one PUT. */
  chunkBytes: number;
  bucket: TokenBucket | undefined;
}

const PAGE = 1000;

/** A remote registry in either role, over the one UpstreamClient. */
export class RemoteSide implements SourceSide, DestinationSide {
  readonly label: string;
  /** Learned on first use: whether GET /v2/<name>/referrers/<digest> exists on this remote. */
  private referrersApi: boolean | undefined;

  constructor(
    private readonly client: UpstreamClient,
    private readonly opts: RemoteSideOptions,
  ) {
    this.label = client.name;
  }

  async catalog(): Promise<string[] | undefined> {
    try {
      return await this.pages((last) => this.client.catalog({ n: PAGE, last }));
    } catch (e) {
      // No catalog (404), or not for us (401/403): explicit repository names still work.
      if (isUpstreamError(e, 'not_found') || isUpstreamError(e, 'denied') || isUpstreamError(e, 'unauthorized')) return undefined;
      throw e;
    }
  }

  async tags(repository: string): Promise<string[] | undefined> {
    try {
      return await this.pages((last) => this.client.tags(repository, { n: PAGE, last }));
    } catch (e) {
      if (isUpstreamError(e, 'not_found')) return undefined;
      throw e;
    }
  }

  async head(repository: string, reference: string): Promise<ManifestRef | undefined> {
    const h = await this.client.headManifest(repository, reference);
    if (!h) return undefined;
    if (h.digest) return { digest: h.digest, mediaType: h.mediaType };
    // A remote that does not say the digest on HEAD: read the manifest (its digest is computed).
    const m = await this.client.getManifest(repository, reference);
    return { digest: m.digest, mediaType: m.mediaType };
  }

  async manifest(repository: string, digest: string): Promise<ManifestBytes> {
    const m = await this.client.getManifest(repository, digest);
    return { digest: m.digest, mediaType: m.mediaType, bytes: m.bytes };
  }

  async openBlob(repository: string, digest: string, size: number, range?: { start: number; end: number }): Promise<Readable> {
    if (range) return this.client.getBlobRange(repository, digest, range.start, range.end);
    return (await this.client.getBlob(repository, digest, { size })).body;
  }

  async referrers(repository: string, digest: string): Promise<ReferrerDescriptor[]> {
    if (this.referrersApi !== false) {
      const list = await this.client.referrers(repository, digest);
      if (list) {
        this.referrersApi = true;
        return list;
      }
      this.referrersApi = false;
    }
    return this.tagSchemaIndex(repository, digest);
  }

  async tagTimes(repository: string, tags: { tag: string; ref: ManifestRef }[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const { tag, ref } of tags) {
      const t = await this.createdAt(repository, ref.digest, 0).catch(() => undefined);
      if (t !== undefined) out.set(tag, t);
    }
    return out;
  }

  // ---- destination ----

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    return (await this.client.headBlob(repository, digest)) !== undefined;
  }

  async mountBlob(repository: string, digest: string, from: string | undefined): Promise<boolean> {
    if (!from || from === repository) return false;
    return this.client.mountBlob(repository, digest, from);
  }

  async writeBlob(w: BlobWrite): Promise<BlobWritten> {
    const { table, rule, chunkBytes } = this.opts;
    if (w.size <= chunkBytes) {
      table.dropUpload(rule, w.repository, w.digest);
      await this.client.pushBlob(w.repository, w.digest, w.size, () => this.bridge(w, 0, w.size - 1), { retries: 0 });
      return { resumedFrom: 0 };
    }
    const { session: saved, note } = await this.resumable(w);
    let session = saved;
    const resumedFrom = session?.offset ?? 0;
    session ??= await this.client.startUpload(w.repository);
    table.saveUpload(rule, w.repository, w.digest, session);
    while (session.offset < w.size) {
      const len = Math.min(chunkBytes, w.size - session.offset);
      const from = session.offset;
      // One attempt per chunk: a torn chunk is resumed by asking the remote where it stands, not by resending.
      session = await this.client.uploadChunk(session, () => this.bridge(w, from, from + len - 1), len, { retries: 0 });
      table.saveUpload(rule, w.repository, w.digest, session);
    }
    await this.client.completeUpload(session, w.digest);
    table.dropUpload(rule, w.repository, w.digest);
    return { resumedFrom, note };
  }

  async putManifest(repository: string, reference: string, m: ManifestBytes): Promise<void> {
    await this.client.putManifest(repository, reference, m.bytes, m.mediaType);
  }

  /**
   * The distribution API cannot delete a tag alone: the manifest it names is deleted (the planner only asks
   * for that when every tag on the manifest is one the rule removes).
   */
  async deleteTag(repository: string, _tag: string, digest: string): Promise<void> {
    await this.client.deleteManifest(repository, digest);
  }

  async indexReferrers(repository: string, subject: string, referrers: ReferrerDescriptor[]): Promise<void> {
    if (referrers.length === 0) return;
    if ((await this.client.referrers(repository, subject)) !== undefined) return; // the remote indexes them itself
    const tag = referrersTag(subject);
    const existing = await this.tagSchemaIndex(repository, subject);
    const known = new Set(existing.map((d) => d.digest));
    const added = referrers.filter((r) => !known.has(r.digest));
    if (added.length === 0) return;
    const index = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [...existing, ...added] };
    await this.client.putManifest(repository, tag, Buffer.from(JSON.stringify(index)), MediaTypes.ociIndex);
  }

  // ---- helpers ----

  /**
   * A saved session the remote still knows, at the offset it holds. Otherwise the blob starts afresh, with a
   * note when a saved session was lost: a chunk torn inside the remote makes docker-registry forget the
   * session (its status answers 404), and then byte 0 is the only safe place to start again.
   */
  private async resumable(w: BlobWrite): Promise<{ session: UploadSession | undefined; note?: string }> {
    const saved = this.opts.table.savedUpload(this.opts.rule, w.repository, w.digest);
    if (!saved) return { session: undefined };
    let why = '';
    const s = await this.client.uploadStatus({ repository: w.repository, location: saved.location, offset: saved.offset }).catch((e: unknown) => {
      if (isUpstreamError(e, 'unavailable')) throw e;
      why = e instanceof Error ? e.message : String(e);
      return undefined;
    });
    if (!s || s.offset > w.size) {
      this.opts.table.dropUpload(this.opts.rule, w.repository, w.digest);
      const state = s ? `reports ${s.offset} bytes, more than the blob has` : `is unknown to the remote (${why || 'it answered 404 on its status'})`;
      return { session: undefined, note: `blob ${w.digest}: the upload session saved at ${saved.offset} bytes ${state}; the blob restarted from byte 0` };
    }
    return { session: s };
  }

  /** The client wants a synchronous body opener; the source opens asynchronously behind a throttled pipe. */
  private bridge(w: BlobWrite, start: number, end: number): Readable {
    const out = throttled(this.opts.bucket, w.onBytes);
    w.open(start, end).then(
      (src) => {
        src.on('error', (e) => out.destroy(e));
        out.on('close', () => src.destroy());
        src.pipe(out);
      },
      (e: unknown) => out.destroy(e as Error),
    );
    return out;
  }

  private async tagSchemaIndex(repository: string, digest: string): Promise<ReferrerDescriptor[]> {
    const tag = referrersTag(digest);
    const h = await this.client.headManifest(repository, tag);
    if (!h) return [];
    const m = await this.client.getManifest(repository, tag);
    if (!isIndexMediaType(m.mediaType)) return [];
    const parsed = JSON.parse(m.bytes.toString('utf8')) as { manifests?: ReferrerDescriptor[] };
    return Array.isArray(parsed.manifests) ? parsed.manifests : [];
  }

  /** Image creation time: the `created` annotation, else the config's `created` (first child of an index). */
  private async createdAt(repository: string, digest: string, depth: number): Promise<number | undefined> {
    const m = await this.client.getManifest(repository, digest);
    const doc = JSON.parse(m.bytes.toString('utf8')) as {
      annotations?: Record<string, string>;
      config?: { digest: string; size: number };
      manifests?: { digest: string }[];
    };
    const ann = doc.annotations?.['org.opencontainers.image.created'];
    if (ann && !Number.isNaN(Date.parse(ann))) return Date.parse(ann);
    if (doc.manifests?.[0] && depth === 0) return this.createdAt(repository, doc.manifests[0].digest, 1);
    if (!doc.config || doc.config.size > 1024 * 1024) return undefined;
    const blob = await this.client.getBlob(repository, doc.config.digest, { size: doc.config.size });
    const chunks: Buffer[] = [];
    for await (const c of blob.body as AsyncIterable<Buffer>) chunks.push(c);
    const created = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { created?: string }).created;
    return created && !Number.isNaN(Date.parse(created)) ? Date.parse(created) : undefined;
  }

  private async pages(fetch: (last: string | undefined) => Promise<{ items: string[]; next: string | undefined }>): Promise<string[]> {
    const out: string[] = [];
    let last: string | undefined;
    for (let i = 0; i < 10_000; i++) {
      const p = await fetch(last);
      out.push(...p.items);
      if (!p.next || p.items.length === 0) break;
      last = p.next;
    }
    return out;
  }
}

export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}
