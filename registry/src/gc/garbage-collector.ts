import type { Meta } from '../meta/index.js';
import type { BlobStore } from '../store/blob-store.js';
import type { UploadStore } from '../store/upload-store.js';
import type { EventBus } from '../events/event-bus.js';
import { parseDigest } from '../oci/digest.js';

export interface GcOptions {
  dryRun: boolean;
  /** Unreferenced content younger than this is kept: a push may still be about to reference it. */
  graceMs: number;
  uploadMaxAgeMs: number;
  now?: number;
}

/**
 * Work that decides what content is no longer wanted (proxy cache cap and TTL) and removes it through the
 * registry service before the collection proper frees what that left unreferenced. Returns how many
 * manifests it removed (or, in a dry run, would remove).
 */
export type GcSweep = (opts: { dryRun: boolean; now: number }) => Promise<number>;

export interface GcResult {
  dryRun: boolean;
  /** Manifests removed by sweeps (proxy cache eviction) before collecting. */
  manifestsEvicted?: number;
  linksRemoved: number;
  blobsRemoved: number;
  bytesFreed: number;
  orphanFilesRemoved: number;
  uploadsRemoved: number;
  /** Staging folders of interrupted offline imports (blobs/tmp/import-*), counted in bytesFreed too. */
  importStagingRemoved?: number;
  durationMs: number;
}

/**
 * Online garbage collection. Each removal is decided and done in one synchronous step (check references,
 * delete the row, unlink the file), so it cannot interleave with an upload commit or a manifest put, which
 * are synchronous from rename to row as well. Push and pull go on meanwhile; work yields between blobs.
 */
export class GarbageCollector {
  private running: Promise<GcResult> | undefined;
  private readonly sweeps: GcSweep[] = [];

  constructor(
    private readonly meta: Meta,
    private readonly store: BlobStore,
    private readonly uploads: UploadStore,
    private readonly events: EventBus,
    /** Sweeps offline-import staging folders (transfer/); set by Core. */
    private readonly importStaging?: (dryRun: boolean) => Promise<{ folders: number; bytes: number }>,
  ) {}

  addSweep(sweep: GcSweep): void {
    this.sweeps.push(sweep);
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  /** One collection at a time; a second caller shares the running one. */
  run(opts: GcOptions): Promise<GcResult> {
    if (!this.running) {
      this.running = this.collect(opts).finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private async collect(opts: GcOptions): Promise<GcResult> {
    const started = Date.now();
    const now = opts.now ?? started;
    const cutoff = now - opts.graceMs;
    const result: GcResult = { dryRun: opts.dryRun, linksRemoved: 0, blobsRemoved: 0, bytesFreed: 0, orphanFilesRemoved: 0, uploadsRemoved: 0, durationMs: 0 };
    const { blobs } = this.meta;

    // 0. Sweeps (proxy cache eviction) turn unwanted content into unreferenced content for the steps below.
    if (this.sweeps.length > 0) {
      result.manifestsEvicted = 0;
      for (const sweep of this.sweeps) result.manifestsEvicted += await sweep({ dryRun: opts.dryRun, now });
    }

    // 1. Links that nothing uses any more (abandoned pushes, deleted manifests, unused mounts).
    const staleLinks = blobs.staleLinks(cutoff);
    const staleLinkCount = new Map<string, number>();
    for (const l of staleLinks) {
      if (opts.dryRun) {
        staleLinkCount.set(l.digest, (staleLinkCount.get(l.digest) ?? 0) + 1);
        result.linksRemoved += 1;
      } else if (blobs.deleteStaleLink(l.repoId, l.digest, cutoff)) {
        result.linksRemoved += 1;
      }
    }

    // 2. Blob rows no link, manifest or manifest reference holds.
    const candidates = blobs.olderThan(cutoff);
    let i = 0;
    for (const c of candidates) {
      if (++i % 200 === 0) await yieldToEventLoop();
      const digest = parseDigest(c.digest);
      if (opts.dryRun) {
        // What a real run would see after step 1 removed the stale links.
        const stillLinked = blobs.holders(c.digest, 1_000_000).length > (staleLinkCount.get(c.digest) ?? 0);
        if (!stillLinked && !blobs.isReferencedByManifest(c.digest)) {
          result.blobsRemoved += 1;
          result.bytesFreed += c.size;
        }
        continue;
      }
      const removed = this.meta.tx(() => {
        if (blobs.isReferenced(c.digest)) return false;
        blobs.deleteBlob(c.digest);
        return true;
      });
      if (removed) {
        this.store.deleteSync(digest);
        result.blobsRemoved += 1;
        result.bytesFreed += c.size;
      }
    }

    // 3. Files without a row (a crash between rename and commit, or a manifest whose put failed validation),
    //    and staging files a crash left before their rename.
    for await (const f of this.store.list()) {
      if (f.mtimeMs >= cutoff) continue;
      if (blobs.size(f.digest.value) !== undefined) continue;
      if (!opts.dryRun) {
        if (blobs.size(f.digest.value) !== undefined) continue;
        this.store.deleteSync(f.digest);
      }
      result.orphanFilesRemoved += 1;
      result.bytesFreed += f.size;
    }

    // Staging files of manifest writes cut off by a crash before their rename.
    const staging = await this.store.sweepStaging(cutoff, opts.dryRun);
    result.orphanFilesRemoved += staging.files;
    result.bytesFreed += staging.bytes;

    // Staging folders of imports that were killed (owner gone) or are older than a day.
    if (this.importStaging) {
      const r = await this.importStaging(opts.dryRun);
      result.importStagingRemoved = r.folders;
      result.bytesFreed += r.bytes;
    }

    // 4. Upload sessions idle for too long.
    for (const id of await this.uploads.stale(opts.uploadMaxAgeMs, now)) {
      if (!opts.dryRun) await this.uploads.remove(id);
      result.uploadsRemoved += 1;
    }

    result.durationMs = Date.now() - started;
    this.events.emit('gc.finished', {
      dryRun: opts.dryRun,
      blobsRemoved: result.blobsRemoved,
      bytesFreed: result.bytesFreed,
      uploadsRemoved: result.uploadsRemoved,
      linksRemoved: result.linksRemoved,
      durationMs: result.durationMs,
    });
    return result;
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
