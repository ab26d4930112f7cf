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
 * registry service before the collection proper frees what that left unreferenced. `prepare` runs first and
 * may write (it flushes pull times); `pass` is a generator that removes one item per step and returns how many
 * manifests it removed. In a dry run the collector runs the same pass inside a transaction it rolls back, so
 * with `dryRun` a pass must only skip what the transaction cannot undo (events, files).
 */
export interface GcSweep {
  prepare(): void;
  pass(opts: { dryRun: boolean; now: number }): Generator<void, number>;
}

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

  /**
   * A dry run computes its plan with the code of the real run: the database steps (sweeps, stale links,
   * unreferenced blobs) run synchronously inside one transaction that is then rolled back, skipping only the
   * file deletions and events; nothing else can run meanwhile, so no concurrent write is rolled back with it.
   * The file steps list exactly what the real run would remove and skip the removal.
   */
  private async collect(opts: GcOptions): Promise<GcResult> {
    const started = Date.now();
    const now = opts.now ?? started;
    const cutoff = now - opts.graceMs;
    const result: GcResult = { dryRun: opts.dryRun, linksRemoved: 0, blobsRemoved: 0, bytesFreed: 0, orphanFilesRemoved: 0, uploadsRemoved: 0, durationMs: 0 };
    for (const sweep of this.sweeps) sweep.prepare();
    if (opts.dryRun) {
      try {
        this.meta.tx(() => {
          for (const step of this.databaseSteps(opts.dryRun, now, cutoff, result)) void step;
          throw new RollBack();
        });
      } catch (e) {
        if (!(e instanceof RollBack)) throw e;
      }
    } else {
      for (const step of this.databaseSteps(opts.dryRun, now, cutoff, result)) if (step) await yieldToEventLoop();
    }

    // 3. Files without a row (a crash between rename and commit, or a manifest whose put failed validation),
    //    and staging files a crash left before their rename. (A dry run's rolled-back blob rows are back, so
    //    their files are not counted twice.)
    for await (const f of this.store.list()) {
      if (f.mtimeMs >= cutoff) continue;
      if (this.meta.blobs.size(f.digest.value) !== undefined) continue;
      if (!opts.dryRun) this.store.deleteSync(f.digest);
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

  /**
   * Steps 0–2, one removal per iteration; yields true where a real run lets other work in. Each removal is
   * decided and done in one synchronous step, so it cannot interleave with an upload commit or manifest put.
   */
  private *databaseSteps(dryRun: boolean, now: number, cutoff: number, result: GcResult): Generator<boolean> {
    const { blobs } = this.meta;
    // 0. Sweeps (proxy cache eviction) turn unwanted content into unreferenced content for the steps below.
    if (this.sweeps.length > 0) {
      result.manifestsEvicted = 0;
      for (const sweep of this.sweeps) {
        const it = sweep.pass({ dryRun, now });
        let r = it.next();
        for (; !r.done; r = it.next()) yield true;
        result.manifestsEvicted += r.value;
      }
    }

    // 1. Links that nothing uses any more (abandoned pushes, deleted manifests, unused mounts).
    for (const l of blobs.staleLinks(cutoff)) {
      if (blobs.deleteStaleLink(l.repoId, l.digest, cutoff)) result.linksRemoved += 1;
    }

    // 2. Blob rows no link, manifest or manifest reference holds.
    let i = 0;
    for (const c of blobs.olderThan(cutoff)) {
      if (++i % 200 === 0) yield true;
      const removed = this.meta.tx(() => {
        if (blobs.isReferenced(c.digest)) return false;
        blobs.deleteBlob(c.digest);
        return true;
      });
      if (!removed) continue;
      if (!dryRun) this.store.deleteSync(parseDigest(c.digest));
      result.blobsRemoved += 1;
      result.bytesFreed += c.size;
    }
  }
}

/** Thrown to roll a dry run's transaction back. */
class RollBack extends Error {}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
