import path from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { bombGuard, decompressor, sniffCompression } from '../../transfer/compression.js';
import { GoBuildInfoScanner } from './go-binary-scanner.js';
import { goBinary, targetFor, type Target } from './targets.js';

/*
 * Reads one layer as a stream: sniffs the compression from the first bytes (gzip, zstd or plain tar, whatever
 * the media type claims), decompresses behind a bomb guard, and walks the tar entries. Only the few files
 * the inventory wants are buffered, each up to its own limit; executables are searched for Go build
 * information as they pass (only that blob is kept); everything else is drained as it passes.
 */

export interface LayerFile {
  path: string;
  target: Target;
  /** undefined when the file was larger than the target allows (reported, not read). */
  data: Buffer | undefined;
  size: number;
}

export interface LayerChanges {
  files: LayerFile[];
  /** Paths a whiteout (.wh.<name>) deletes from lower layers. */
  deleted: string[];
  /** Directories an opaque whiteout (.wh..wh..opq) empties of lower layers' content. */
  opaque: string[];
  /** Entries refused (path tricks), for the notes. */
  refused: string[];
  /** Paths a symlink or other non-file now occupies: whatever lower layers had exactly there is gone. */
  replaced: string[];
}

export interface WalkOptions {
  /** Output may not exceed this many times the compressed input (once past 64 MiB). */
  maxExpansionRatio: number;
}

export class LayerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayerError';
  }
}

/** Normalises a tar entry name to a root-relative path; undefined when it escapes the root. */
export function normalizeEntryPath(name: string): string | undefined {
  if (name.includes('\0')) return undefined;
  const p = path.posix.normalize(`/${name}`);
  // normalize('/..') is '/', so escaping names come out inside the root; refuse them rather than guess.
  if (name.split('/').includes('..')) return undefined;
  const rel = p.replace(/^\/+/, '').replace(/\/+$/, '');
  return rel;
}

/** Waits for the first chunk and puts it back, so the compression can be sniffed without consuming it. */
function peek(src: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (fn: () => void) => {
      src.off('readable', onReadable);
      src.off('end', onEnd);
      src.off('error', onError);
      fn();
    };
    const onReadable = () => {
      const chunk = src.read() as Buffer | null;
      if (chunk === null) return;
      done(() => {
        src.unshift(chunk);
        resolve(chunk);
      });
    };
    const onEnd = () => done(() => resolve(Buffer.alloc(0)));
    const onError = (e: Error) => done(() => reject(e));
    src.on('readable', onReadable);
    src.once('end', onEnd);
    src.once('error', onError);
  });
}

async function readEntry(entry: Readable, max: number, truncate: boolean, size: number): Promise<Buffer | undefined> {
  if (size > max && !truncate) {
    entry.resume();
    await new Promise((r) => entry.once('end', r));
    return undefined;
  }
  const chunks: Buffer[] = [];
  let have = 0;
  for await (const c of entry as AsyncIterable<Buffer>) {
    if (have < max) {
      const part = c.subarray(0, max - have);
      chunks.push(part);
      have += part.length;
    }
  }
  return Buffer.concat(chunks);
}

const ELF_MAGIC = Buffer.from('\x7fELF', 'latin1');
const EMPTY: Buffer = Buffer.alloc(0);

/**
 * A regular file no path target claims. Executables — an executable bit, or ELF magic (shared objects, binaries
 * copied without their mode) — stream through a GoBuildInfoScanner up to goBinary.maxBytes and become a file
 * of the inventory even when they hold no Go build information, so that they replace a Go binary a lower layer
 * had at the same path. Anything else is drained. The file is never held: only the scanner's small window is.
 */
function readExecutable(entry: Readable, p: string, mode: number, size: number): Promise<LayerFile | undefined> {
  const exec = (mode & 0o111) !== 0;
  if (size === 0) {
    entry.resume();
    return Promise.resolve(exec ? { path: p, target: goBinary, data: EMPTY, size } : undefined);
  }
  const scanner = size <= goBinary.maxBytes ? new GoBuildInfoScanner() : undefined;
  let head: Buffer = EMPTY;
  let elf: boolean | undefined;
  return new Promise((resolve, reject) => {
    // 'data' listeners rather than async iteration: most files pass here, and this costs one call per chunk.
    entry.on('data', (c: Buffer) => {
      if (elf === undefined) {
        head = head.length ? Buffer.concat([head, c]) : c;
        if (exec) scanner?.push(c);
        if (head.length < ELF_MAGIC.length) return;
        elf = head.subarray(0, ELF_MAGIC.length).equals(ELF_MAGIC);
        if (elf && !exec) scanner?.push(head);
        head = EMPTY;
        return;
      }
      if (exec || elf) scanner?.push(c);
    });
    entry.once('error', reject);
    // After 'end' this is a no-op; without one (the layer broke off inside the file) it ends the wait.
    entry.once('close', () => reject(new LayerError(`the layer ends inside /${p}`)));
    entry.once('end', () => {
      if (!exec && !elf) resolve(undefined);
      else if (!scanner) resolve(elf ? { path: p, target: goBinary, data: undefined, size } : undefined);
      else resolve({ path: p, target: goBinary, data: scanner.result(), size });
    });
  });
}

export async function walkLayer(blob: Readable, opts: WalkOptions): Promise<LayerChanges> {
  const changes: LayerChanges = { files: [], deleted: [], opaque: [], refused: [], replaced: [] };
  const head = await peek(blob);
  const kind = sniffCompression(head);
  const extract = tar.extract();
  const fail = (e: unknown) => extract.destroy(e instanceof Error ? e : new Error(String(e)));
  blob.on('error', fail);
  const dec = decompressor(kind);
  if (dec) {
    blob.pipe(dec);
    const guarded = bombGuard(blob, dec, opts.maxExpansionRatio);
    guarded.on('error', fail);
    guarded.pipe(extract);
  } else {
    blob.pipe(extract);
  }
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const p = normalizeEntryPath(h.name);
      if (p === undefined) {
        if (changes.refused.length < 20) changes.refused.push(h.name.slice(0, 200));
        entry.resume();
        continue;
      }
      const base = path.posix.basename(p);
      const dir = path.posix.dirname(p);
      if (base === '.wh..wh..opq') {
        changes.opaque.push(dir === '.' ? '' : dir);
      } else if (base.startsWith('.wh.')) {
        changes.deleted.push(dir === '.' ? base.slice(4) : `${dir}/${base.slice(4)}`);
      } else {
        const regular = h.type === 'file' || h.type === 'contiguous-file';
        const target = regular ? targetFor(p) : undefined;
        if (target) {
          const data = target.kind === 'unsupported' ? Buffer.alloc(0) : await readEntry(entry as unknown as Readable, target.maxBytes, target.truncate ?? false, h.size ?? 0);
          changes.files.push({ path: p, target, data, size: h.size ?? 0 });
          if (target.kind !== 'unsupported') continue;
        } else if (regular) {
          const file = await readExecutable(entry as unknown as Readable, p, h.mode ?? 0, h.size ?? 0);
          if (file) changes.files.push(file);
          continue;
        } else if (h.type !== 'directory' && targetFor(p)) {
          // A symlink (Debian's etc/os-release) or other non-file replaces what lower layers had there.
          changes.deleted.push(p);
        } else if (h.type !== 'directory') {
          changes.replaced.push(p);
        }
      }
      entry.resume();
    }
  } catch (e) {
    // Stop reading, and stop zstd if it is the decompressor (its process ends with its stream).
    blob.destroy();
    dec?.destroy();
    throw new LayerError(`the layer cannot be read: ${e instanceof Error ? e.message : String(e)}`);
  }
  return changes;
}
