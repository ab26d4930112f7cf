import { parseManifest, type Descriptor } from '../oci/manifest.js';
import { isStored } from '../registry/manifest-service.js';
import type { DestinationSide, ManifestBytes, SourceSide } from './sides.js';
import type { PlanDeletion, PlanItem } from './planner.js';
import { withRetry, type RetryPolicy } from './retry.js';

/*
 * Copies what a plan item names, in the order that keeps every reader safe: blobs (skipping those the
 * destination has, mounting those another repository there has), child manifests of an index, the manifest
 * by digest, then its referrers, and the tag last, so no tag ever names incomplete content. Manifest bytes
 * go over unchanged, so digests are preserved. Work is shared across the run: a manifest or blob two tags
 * need is copied once, and a blob another repository already received is mounted instead of sent again.
 */

export interface CopyStats {
  bytes: number;
  blobs: number;
  mounted: number;
  manifests: number;
  /** What the execution's task should say besides its counts (a blob that had to restart from byte 0). */
  notes: string[];
}

export interface TaskOutcome extends CopyStats {
  durationMs: number;
  /** The tag was written (copy) or nothing needed to change (skip). */
  changed: boolean;
}

export interface CopierOptions {
  referrers: boolean;
  retry: RetryPolicy;
  signal?: AbortSignal;
  /** Every byte sent, for run totals and progress. */
  onBytes(n: number): void;
  onRetry?(what: string, e: unknown, waitMs: number): void;
}

/** Referrers of referrers (a signature of an SBOM) are followed this deep. */
const MAX_REFERRER_DEPTH = 3;
const BLOBS_PER_MANIFEST = 3;

export class Copier {
  private readonly manifests = new Map<string, Promise<void>>();
  private readonly blobs = new Map<string, Promise<void>>();
  /** digest → a destination repository that has it (mount source). */
  private readonly blobHome = new Map<string, string>();
  private readonly blobInFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly source: SourceSide,
    private readonly dest: DestinationSide,
    private readonly opts: CopierOptions,
  ) {}

  async copy(item: PlanItem): Promise<TaskOutcome> {
    const t0 = Date.now();
    const stats: CopyStats = { bytes: 0, blobs: 0, mounted: 0, manifests: 0, notes: [] };
    const { repository: src } = item.source;
    const { repository: dst, tag } = item.destination;
    await this.tree(src, dst, item.digest, 0, stats);
    if (item.action === 'copy') {
      const m = await this.retry(`${src}@${item.digest}`, () => this.source.manifest(src, item.digest));
      await this.retry(`${dst}:${tag}`, () => this.dest.putManifest(dst, tag, m));
    }
    return { ...stats, durationMs: Date.now() - t0, changed: item.action === 'copy' || stats.manifests > 0 };
  }

  async delete(d: PlanDeletion): Promise<void> {
    await this.retry(`${d.repository}:${d.tag}`, () => this.dest.deleteTag(d.repository, d.tag, d.digest));
  }

  /** A manifest and everything below it, then its referrers; shared when two items need the same one. */
  private tree(src: string, dst: string, digest: string, depth: number, stats: CopyStats): Promise<void> {
    const key = `${dst}@${digest}`;
    let p = this.manifests.get(key);
    if (!p) {
      p = this.copyTree(src, dst, digest, depth, stats);
      this.manifests.set(key, p);
      p.catch(() => this.manifests.delete(key));
    }
    return p;
  }

  private async copyTree(src: string, dst: string, digest: string, depth: number, stats: CopyStats): Promise<void> {
    const present = await this.retry(`${dst}@${digest}`, () => this.dest.head(dst, digest));
    if (!present) {
      const m: ManifestBytes = await this.retry(`${src}@${digest}`, () => this.source.manifest(src, digest));
      const parsed = parseManifest(m.bytes, m.mediaType);
      for (const child of parsed.manifests) await this.tree(src, dst, child.digest, MAX_REFERRER_DEPTH, stats);
      const blobs = parsed.blobs.filter(isStored);
      for (let i = 0; i < blobs.length; i += BLOBS_PER_MANIFEST) {
        await Promise.all(blobs.slice(i, i + BLOBS_PER_MANIFEST).map((b) => this.blob(src, dst, b, stats)));
      }
      await this.retry(`${dst}@${digest}`, () => this.dest.putManifest(dst, digest, m));
      stats.manifests += 1;
    }
    if (this.opts.referrers && depth < MAX_REFERRER_DEPTH) await this.referrers(src, dst, digest, depth, stats);
  }

  private async referrers(src: string, dst: string, subject: string, depth: number, stats: CopyStats): Promise<void> {
    const refs = await this.retry(`referrers of ${src}@${subject}`, () => this.source.referrers(src, subject));
    if (refs.length === 0) return;
    for (const r of refs) await this.tree(src, dst, r.digest, depth + 1, stats);
    await this.retry(`referrers index of ${dst}@${subject}`, () => this.dest.indexReferrers(dst, subject, refs));
  }

  private blob(src: string, dst: string, d: Descriptor, stats: CopyStats): Promise<void> {
    const key = `${dst}|${d.digest}`;
    let p = this.blobs.get(key);
    if (!p) {
      p = this.copyBlob(src, dst, d, stats);
      this.blobs.set(key, p);
      p.catch(() => this.blobs.delete(key));
    }
    return p;
  }

  private async copyBlob(src: string, dst: string, d: Descriptor, stats: CopyStats): Promise<void> {
    // The same layer on its way to another repository: wait for it, then mount it from there.
    const other = this.blobInFlight.get(d.digest);
    if (other) await other.catch(() => undefined);
    const work = this.retry(`blob ${d.digest} to ${dst}`, async () => {
      if (await this.dest.hasBlob(dst, d.digest)) return;
      if (await this.dest.mountBlob(dst, d.digest, this.blobHome.get(d.digest))) {
        stats.mounted += 1;
        return;
      }
      const written = await this.dest.writeBlob({
        repository: dst,
        digest: d.digest,
        size: d.size,
        open: (start, end) => this.source.openBlob(src, d.digest, d.size, start === 0 && (end === undefined || end === d.size - 1) ? undefined : { start, end: end ?? d.size - 1 }),
        onBytes: (n) => {
          stats.bytes += n;
          this.opts.onBytes(n);
        },
      });
      if (written.note) stats.notes.push(written.note);
      stats.blobs += 1;
    });
    this.blobInFlight.set(d.digest, work);
    try {
      await work;
      this.blobHome.set(d.digest, dst);
    } finally {
      if (this.blobInFlight.get(d.digest) === work) this.blobInFlight.delete(d.digest);
    }
  }

  private retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(this.opts.retry, fn, this.opts.signal, (e, wait) => this.opts.onRetry?.(what, e, wait));
  }
}
