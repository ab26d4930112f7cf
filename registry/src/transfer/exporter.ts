import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { newHasher, parseDigest } from '../oci/digest.js';
import { MediaTypes } from '../oci/media-types.js';
import type { Meta } from '../meta/index.js';
import type { TransferQueries } from '../meta/transfer-queries.js';
import type { BlobStore } from '../store/blob-store.js';
import { TransferError } from './errors.js';
import { BUNDLE_FILE, BUNDLE_FORMAT, REF_NAME, type BundleDescription } from './bundle-manifest.js';
import { selectContent, type Selection } from './selection.js';
import { compressor, decompressor, sniffFileCompression, type Compression } from './compression.js';
import { concatFiles, groupInputs, partName, SplitWriter } from './split-files.js';
import { tarEntries } from './archive-entries.js';
import { parseJson } from './layout-reader.js';
import { bundleSchema } from './bundle-manifest.js';

export interface ExportOptions {
  selection: Selection;
  /** An earlier bundle (file or its parts) or an ISO date: leave out blobs that one had / older ones. */
  since?: string | undefined;
  compression?: Compression;
}

export interface ExportProgress {
  bytesDone: number;
  bytesTotal: number;
}

export interface ExportResult {
  bundleId: string;
  images: string[];
  manifests: number;
  blobs: number;
  blobsIncluded: number;
  bytesIncluded: number;
  /** Output files: the bundle, or its parts. Empty when written to a stream. */
  files: string[];
  /** Proxy cache tags left out because the cache holds only part of the image, with the reason. */
  skipped: { image: string; reason: string }[];
  durationMs: number;
}

const MTIME = new Date(0);

/** Writes bundles: oci-layout, berth-bundle.json and index.json first, then manifests, then blobs. */
export class Exporter {
  constructor(
    private readonly meta: Meta,
    private readonly store: BlobStore,
    private readonly queries: TransferQueries,
    private readonly berthVersion: string,
  ) {}

  async describe(opts: ExportOptions): Promise<BundleDescription> {
    return (await this.plan(opts)).bundle;
  }

  /** The bundle's description, and the cache tags left out of it. */
  private async plan(opts: ExportOptions): Promise<{ bundle: BundleDescription; skipped: ExportResult['skipped'] }> {
    const sel = await selectContent(this.meta, this.store, opts.selection);
    if (sel.images.length === 0) {
      const why = sel.skipped.length ? `; left out: ${sel.skipped.map((s) => `${s.image} (${s.reason})`).join('; ')}` : '';
      throw new TransferError('INPUT', `nothing matches the selection: no tags to export${why}`);
    }
    const manifestDigests = new Set(sel.manifests.map((m) => m.digest));
    const omit = await this.omitted(opts.since);
    const blobs = [...sel.blobs]
      .filter(([d]) => !manifestDigests.has(d))
      .map(([digest, size]) => ({ digest, size, included: !omit.has(digest) }));
    const baseInfo = omit.base;
    const bundle: BundleDescription = {
      format: BUNDLE_FORMAT,
      id: randomUUID(),
      createdAt: new Date().toISOString(),
      source: { host: os.hostname(), berthVersion: this.berthVersion },
      base: baseInfo ?? null,
      selection: { repositories: opts.selection.repositories, tags: opts.selection.tags },
      images: sel.images.map((i) => ({ repository: i.repository, tag: i.tag, digest: i.digest })),
      manifests: sel.manifests.map((m) => ({ repository: m.repository, digest: m.digest, mediaType: m.mediaType, size: m.size, tags: m.tags })),
      blobs,
      totals: {
        blobBytes: blobs.reduce((n, b) => n + b.size, 0),
        includedBytes: blobs.reduce((n, b) => n + (b.included ? b.size : 0), 0),
      },
    };
    return { bundle, skipped: sel.skipped };
  }

  /** Streams a bundle into `sink` (a file, a split writer, an HTTP response). */
  async write(opts: ExportOptions, sink: Writable, onProgress: (p: ExportProgress) => void = () => undefined): Promise<ExportResult> {
    const started = Date.now();
    const { bundle, skipped } = await this.plan(opts);
    const pack = tar.pack();
    const comp = compressor(opts.compression ?? 'none');
    const done = comp ? pipeline(pack, comp, sink) : pipeline(pack, sink);
    const total = bundle.totals.includedBytes;
    let bytesDone = 0;
    try {
      const header = (name: string, size: number) => ({ name, size, mode: 0o644, mtime: MTIME, uid: 0, gid: 0, type: 'file' as const });
      const small = (name: string, bytes: Buffer) => new Promise<void>((resolve, reject) => pack.entry(header(name, bytes.length), bytes, (e) => (e ? reject(e) : resolve())));
      await small('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
      await small(BUNDLE_FILE, Buffer.from(JSON.stringify(bundle, null, 1)));
      const byDigest = new Map(bundle.manifests.map((m) => [m.digest, m]));
      const index = {
        schemaVersion: 2,
        mediaType: MediaTypes.ociIndex,
        manifests: bundle.images.map((i) => {
          const m = byDigest.get(i.digest)!;
          return { mediaType: m.mediaType, digest: i.digest, size: m.size, annotations: { [REF_NAME]: `${i.repository}:${i.tag}` } };
        }),
      };
      await small('index.json', Buffer.from(JSON.stringify(index)));
      const written = new Set<string>();
      for (const m of bundle.manifests) {
        if (written.has(m.digest)) continue;
        written.add(m.digest);
        await this.blobEntry(pack, m.digest, m.size, header);
      }
      for (const b of bundle.blobs) {
        if (!b.included || written.has(b.digest)) continue;
        written.add(b.digest);
        await this.blobEntry(pack, b.digest, b.size, header, (n) => {
          bytesDone += n;
          onProgress({ bytesDone, bytesTotal: total });
        });
      }
      pack.finalize();
      await done;
    } catch (e) {
      pack.destroy(e as Error);
      await done.catch(() => undefined);
      throw e;
    }
    return {
      bundleId: bundle.id,
      images: bundle.images.map((i) => `${i.repository}:${i.tag}`),
      manifests: bundle.manifests.length,
      blobs: bundle.blobs.length,
      blobsIncluded: bundle.blobs.filter((b) => b.included).length,
      bytesIncluded: total,
      files: [],
      skipped,
      durationMs: Date.now() - started,
    };
  }

  /** Writes FILE atomically (temp + rename), or FILE.part001 … when splitBytes is set. */
  async toFile(opts: ExportOptions & { out: string; splitBytes?: number | undefined }, onProgress?: (p: ExportProgress) => void): Promise<ExportResult> {
    const out = path.resolve(opts.out);
    const dir = path.dirname(out);
    if (opts.splitBytes) {
      // Old parts of an earlier export under the same name would be read back as part of this one.
      for (const f of await fsp.readdir(dir)) if (f.startsWith(`${path.basename(out)}.part`)) await fsp.rm(path.join(dir, f));
      const splitter = new SplitWriter(out, opts.splitBytes);
      try {
        const r = await this.write(opts, splitter, onProgress);
        return { ...r, files: splitter.parts };
      } catch (e) {
        for (const p of splitter.parts) await fsp.rm(p, { force: true });
        throw e;
      }
    }
    const tmp = `${out}.partial-${process.pid}`;
    try {
      const r = await this.write(opts, fs.createWriteStream(tmp, { highWaterMark: 1 << 20 }), onProgress);
      const fh = await fsp.open(tmp, 'r');
      await fh.sync().finally(() => fh.close());
      await fsp.rename(tmp, out);
      return { ...r, files: [out] };
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw e;
    }
  }

  /** Streams a stored blob into the tar, checking its digest on the way: a corrupt disk is not exported. */
  private async blobEntry(pack: tar.Pack, digest: string, size: number, header: (n: string, s: number) => Parameters<tar.Pack["entry"]>[0], onBytes?: (n: number) => void): Promise<void> {
    const d = parseDigest(digest);
    const hash = newHasher(d.algorithm);
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        onBytes?.(chunk.length);
        cb(null, chunk);
      },
    });
    let entry!: Writable;
    const entryDone = new Promise<void>((resolve, reject) => {
      entry = pack.entry(header(`blobs/${d.algorithm}/${d.hex}`, size), (e) => (e ? reject(e) : resolve())) as unknown as Writable;
    });
    await pipeline(this.store.open(d), meter, entry);
    await entryDone;
    if (hash.digest('hex') !== d.hex) throw new TransferError('DIGEST_MISMATCH', `stored blob ${digest} is corrupt on this disk; not exporting it`);
  }

  /** Digests to leave out of an incremental bundle, and what that bundle builds on. */
  private async omitted(since: string | undefined): Promise<Set<string> & { base?: BundleDescription['base'] }> {
    const set: Set<string> & { base?: BundleDescription['base'] } = new Set();
    if (!since) return set;
    const looksLikeFile = fs.existsSync(since) || fs.existsSync(partName(since, 1)) || /\.part\d{3,}$/.test(since);
    if (looksLikeFile) {
      const prev = await readBundleDescriptionFrom(since);
      for (const b of prev.blobs) set.add(b.digest);
      set.base = { bundleId: prev.id, bundleCreatedAt: prev.createdAt };
      return set;
    }
    const t = Date.parse(since);
    if (Number.isNaN(t)) throw new TransferError('INPUT', `--since ${since}: neither an earlier bundle nor a date (e.g. 2026-01-31 or 2026-01-31T12:00:00Z)`);
    for (const digest of await this.allBlobDigests()) {
      const created = this.queries.blobCreatedAt(digest);
      if (created !== undefined && created < t) set.add(digest);
    }
    set.base = { since: new Date(t).toISOString() };
    return set;
  }

  private async allBlobDigests(): Promise<string[]> {
    const out: string[] = [];
    for await (const b of this.store.list()) out.push(b.digest.value);
    return out;
  }
}

/** Reads only the description at the start of a bundle (whole, split or compressed). */
export async function readBundleDescriptionFrom(file: string): Promise<BundleDescription> {
  const [files] = await groupInputs([file]);
  const raw = concatFiles(files!);
  const d = decompressor(await sniffFileCompression(files![0]!));
  const input = d ? raw.pipe(d) : raw;
  if (d) raw.on('error', (e) => d.destroy(e));
  for await (const e of tarEntries(input)) {
    if (e.name !== BUNDLE_FILE) continue;
    const chunks: Buffer[] = [];
    for await (const c of e.body!) chunks.push(c as Buffer);
    return parseJson(Buffer.concat(chunks), bundleSchema, `${BUNDLE_FILE} of ${file}`);
  }
  throw new TransferError('FORMAT', `${file} is not a Berth bundle (no ${BUNDLE_FILE})`);
}

