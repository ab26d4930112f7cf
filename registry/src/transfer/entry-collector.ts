import { Readable } from 'node:stream';
import type { StagingArea, StagedFile } from '../store/staging-area.js';
import { isDigestAlgorithm } from '../oci/digest.js';
import { TransferError } from './errors.js';
import { truncation, type ArchiveEntry } from './archive-entries.js';

/** Control files (index.json, manifest.json …) up to this size are kept in memory; larger ones are staged. */
const MAX_CONTROL_BYTES = 4 * 1024 * 1024;
/** All control files together: a layout with more than this in small JSON is not a layout. */
const MAX_CONTROL_TOTAL = 64 * 1024 * 1024;

export type CollectedFile =
  | { kind: 'memory'; size: number; bytes: Buffer }
  | { kind: 'staged'; size: number; staged: StagedFile }
  /** A large `blobs/<alg>/<hex>` the registry already holds: skipped without staging. */
  | { kind: 'present'; size: number; digest: string };

export interface Collected {
  files: Map<string, CollectedFile>;
  links: { name: string; target: string; type: 'symlink' | 'link' }[];
}

export interface CollectOptions {
  staging: StagingArea;
  /** Bytes the disk may still take; an entry or total beyond it is refused. */
  budget: number;
  hasBlob: (digest: string) => boolean;
  /** Called after each control file; returning true stops reading (a repeated import found nothing new). */
  stopAfter?: (name: string, c: Collected) => boolean;
  onBytes?: (n: number) => void;
}

const blobPath = /^blobs\/([a-z0-9]+)\/([a-f0-9]+)$/;

/**
 * Reads every entry once: `blobs/<alg>/<hex>` files are staged and their digest checked against their name as
 * they stream; small other files are kept for the format readers; links are recorded, never created.
 * Returns undefined when `stopAfter` ended the read early.
 */
export async function collect(entries: AsyncIterable<ArchiveEntry>, opts: CollectOptions): Promise<Collected | undefined> {
  try {
    return await collectEntries(entries, opts);
  } catch (e) {
    throw truncation(e);
  }
}

async function collectEntries(entries: AsyncIterable<ArchiveEntry>, opts: CollectOptions): Promise<Collected | undefined> {
  const c: Collected = { files: new Map(), links: [] };
  const names = new Set<string>();
  let budget = opts.budget;
  let controlBytes = 0;
  for await (const e of entries) {
    if (e.type === 'directory') continue;
    if (names.has(e.name)) throw new TransferError('DUPLICATE_ENTRY', `entry ${e.name} appears twice in the archive`);
    names.add(e.name);
    if (e.type === 'symlink' || e.type === 'link') {
      c.links.push({ name: e.name, target: e.linkname ?? '', type: e.type });
      continue;
    }
    if (e.size > budget) {
      throw new TransferError('TOO_LARGE', `entry ${e.name} claims ${e.size} bytes, more than the ${budget} bytes of space left for this import`);
    }
    const body = e.body!;
    const m = blobPath.exec(e.name);
    if (m) {
      const [, alg, hex] = m;
      if (!isDigestAlgorithm(alg!)) throw new TransferError('FORMAT', `${e.name}: unsupported digest algorithm ${alg}`);
      const digest = `${alg}:${hex}`;
      if (e.size > MAX_CONTROL_BYTES && opts.hasBlob(digest)) {
        for await (const chunk of body) opts.onBytes?.((chunk as Buffer).length);
        c.files.set(e.name, { kind: 'present', size: e.size, digest });
        continue;
      }
      const staged = await stage(opts.staging, body, e, alg);
      if (staged.digest !== digest) {
        throw new TransferError('DIGEST_MISMATCH', `blob ${digest} in the archive has different bytes (they hash to ${staged.digest})`);
      }
      budget -= staged.size;
      c.files.set(e.name, { kind: 'staged', size: staged.size, staged });
      continue;
    }
    if (e.size <= MAX_CONTROL_BYTES && controlBytes + e.size <= MAX_CONTROL_TOTAL) {
      const chunks: Buffer[] = [];
      let n = 0;
      for await (const chunk of body) {
        n += (chunk as Buffer).length;
        if (n > MAX_CONTROL_BYTES) throw new TransferError('SIZE_MISMATCH', `entry ${e.name} is longer than its header says`);
        chunks.push(chunk as Buffer);
      }
      controlBytes += n;
      c.files.set(e.name, { kind: 'memory', size: n, bytes: Buffer.concat(chunks) });
      opts.onBytes?.(n);
      if (opts.stopAfter?.(e.name, c)) return undefined;
      continue;
    }
    const staged = await stage(opts.staging, body, e, 'sha256');
    budget -= staged.size;
    c.files.set(e.name, { kind: 'staged', size: staged.size, staged });
  }
  return c;

  async function stage(staging: StagingArea, body: Readable, e: ArchiveEntry, alg: string): Promise<StagedFile> {
    const staged = await staging.write(body, { algorithm: alg as 'sha256', maxBytes: e.size, onBytes: opts.onBytes }).catch((err: unknown) => {
      if (/larger than/.test((err as Error).message)) throw new TransferError('SIZE_MISMATCH', `entry ${e.name} is longer than its header says`);
      throw err;
    });
    if (staged.size !== e.size) throw new TransferError('TRUNCATED', `entry ${e.name} ended after ${staged.size} of ${e.size} bytes`);
    return staged;
  }
}

/** Bytes of a collected file: memory as is, staged read back (control files only, so small). */
export async function bytesOf(f: CollectedFile): Promise<Buffer> {
  if (f.kind === 'memory') return f.bytes;
  if (f.kind === 'staged') {
    const { readFile } = await import('node:fs/promises');
    return readFile(f.staged.file);
  }
  throw new Error('content is in the registry, not in the archive');
}

export function memoryStream(b: Buffer): Readable {
  return Readable.from([b]);
}
