import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Registry } from '../registry/index.js';
import type { Actor } from '../registry/context.js';
import type { StoragePaths } from '../store/paths.js';
import { StagingArea } from '../store/staging-area.js';
import { TransferError } from './errors.js';
import { folderEntries, tarEntries, type ArchiveEntry } from './archive-entries.js';
import { collect, type Collected } from './entry-collector.js';
import { bombGuard, decompressor, sniffFileCompression, type Compression } from './compression.js';
import { concatFiles } from './split-files.js';
import { PlanBuilder } from './plan-builder.js';
import { BUNDLE_FILE, type BundleDescription } from './bundle-manifest.js';
import { memoryFile, planBerthBundle, planOciLayout, readBundleDescription } from './layout-reader.js';
import { planDockerArchive } from './docker-archive-reader.js';

export type ImportFormat = 'berth-bundle' | 'oci-layout' | 'docker-archive';

export interface ImportOptions {
  /** Repository for images whose reference names only a tag (skopeo `oci-archive:FILE:TAG`), or none at all. */
  repository?: string | undefined;
  actor: Actor;
}

export interface ImportProgress {
  phase: 'reading' | 'committing';
  bytesDone: number;
  bytesTotal: number | undefined;
}

export interface ImportReport {
  inputs: string[];
  format: ImportFormat | undefined;
  compression: Compression;
  bundleId: string | undefined;
  /** repository:tag of every tag in the input */
  images: string[];
  noop: boolean;
  manifestsAdded: number;
  tagsChanged: number;
  blobsAdded: number;
  bytesAdded: number;
  bytesRead: number;
  durationMs: number;
}

export interface ImporterLimits {
  /** Refuse output beyond this many times the compressed input (decompression bombs). */
  maxExpansionRatio: number;
  /** Keep this much disk free; an import that would need more is refused. */
  reserveBytes: number;
  /** Room above the disk reserve (storage.reserveMiB); throws STORAGE_FULL when there is none. */
  room?: () => Promise<number>;
}

/**
 * Reads one input (a file, the parts of a split file, or a layout folder) once, stages and verifies every
 * byte, builds the batch and hands it to the registry to commit at once. The staging folder goes away
 * whatever happens.
 */
export class Importer {
  constructor(
    private readonly registry: Registry,
    private readonly paths: StoragePaths,
    private readonly limits: ImporterLimits,
  ) {}

  async run(files: string[], opts: ImportOptions, onProgress: (p: ImportProgress) => void = () => undefined): Promise<ImportReport> {
    const started = Date.now();
    let bytesRead = 0;
    let bytesTotal: number | undefined;
    let compression: Compression = 'none';
    let entries: AsyncIterable<ArchiveEntry>;
    const isFolder = files.length === 1 && (await fsp.stat(files[0]!).catch(() => undefined))?.isDirectory();
    const tick = (n: number) => {
      bytesRead += n;
      onProgress({ phase: 'reading', bytesDone: bytesRead, bytesTotal });
    };
    if (isFolder) {
      entries = folderEntries(files[0]!);
    } else {
      bytesTotal = 0;
      for (const f of files) bytesTotal += (await fsp.stat(f)).size;
      compression = await sniffFileCompression(files[0]!);
      const raw = concatFiles(files, tick);
      entries = tarEntries(this.decompressed(raw, compression));
    }

    const imports = this.registry.imports;
    // Refused before the staging folder exists when the disk has no room above the reserve.
    const room = (await this.limits.room?.()) ?? Number.POSITIVE_INFINITY;
    const staging = await StagingArea.create(this.paths);
    try {
      let bundle: BundleDescription | undefined;
      const collected = await collect(entries, {
        staging,
        budget: Math.min(room, (await freeBytes(this.paths.root)) - this.limits.reserveBytes),
        hasBlob: (d) => imports.hasBlob(d),
        onBytes: isFolder ? tick : undefined,
        stopAfter: (name, c) => {
          if (name !== BUNDLE_FILE) return false;
          bundle = readBundleDescription(c);
          return bundle !== undefined && alreadyImported(bundle, imports);
        },
      });
      const base = { inputs: files, compression, bytesRead, durationMs: 0 };
      if (!collected) {
        return { ...base, format: 'berth-bundle', bundleId: bundle!.id, images: bundle!.images.map((i) => `${i.repository}:${i.tag}`), noop: true, manifestsAdded: 0, tagsChanged: 0, blobsAdded: 0, bytesAdded: 0, durationMs: Date.now() - started };
      }
      const plan = new PlanBuilder(collected, imports);
      const format = await this.plan(collected, plan, staging, opts);
      onProgress({ phase: 'committing', bytesDone: bytesRead, bytesTotal });
      const batch = plan.batch();
      const outcome = imports.commit(batch, opts.actor);
      bundle = readBundleDescription(collected);
      const images = batch.manifests.flatMap((m) => m.tags.map((t) => `${m.repository}:${t}`));
      return {
        ...base,
        bytesRead,
        format,
        bundleId: bundle?.id,
        images,
        noop: outcome.manifestsAdded === 0 && outcome.tagsChanged === 0 && outcome.blobsAdded === 0,
        ...outcome,
        durationMs: Date.now() - started,
      };
    } finally {
      await staging.discard();
    }
  }

  private async plan(c: Collected, plan: PlanBuilder, staging: StagingArea, opts: ImportOptions): Promise<ImportFormat> {
    const bundle = readBundleDescription(c);
    if (bundle) {
      await planBerthBundle(c, bundle, plan, this.registry.imports);
      return 'berth-bundle';
    }
    if (c.files.has('oci-layout') && memoryFile(c, 'index.json')) {
      await planOciLayout(c, plan, opts.repository);
      return 'oci-layout';
    }
    if (memoryFile(c, 'manifest.json')) {
      await planDockerArchive(c, plan, staging, opts.repository);
      return 'docker-archive';
    }
    throw new TransferError('FORMAT', 'not a Berth bundle, an OCI image layout (oci-layout + index.json) or a Docker archive (manifest.json)');
  }

  private decompressed(raw: Readable, kind: Compression): Readable {
    const d = decompressor(kind);
    if (!d) return raw;
    raw.on('error', (e) => d.destroy(e));
    return bombGuard(raw, raw.pipe(d), this.limits.maxExpansionRatio);
  }
}

/** A repeated import: every tag already points at its manifest and every blob is here. */
function alreadyImported(b: BundleDescription, imports: Registry['imports']): boolean {
  return (
    b.images.every((i) => imports.tagPointsAt(i.repository, i.tag, i.digest)) &&
    b.manifests.every((m) => imports.hasManifest(m.repository, m.digest)) &&
    b.blobs.every((x) => imports.hasBlob(x.digest))
  );
}


async function freeBytes(dir: string): Promise<number> {
  const s = await fs.promises.statfs(dir);
  return s.bavail * s.bsize;
}
