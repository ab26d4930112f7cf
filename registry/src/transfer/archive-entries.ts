import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { TransferError } from './errors.js';

/** One entry of an archive or layout folder, with a validated relative name. */
export interface ArchiveEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  size: number;
  /** Target of a link, as written in the archive (validated later, when the format is known). */
  linkname: string | undefined;
  /** Body of a file; must be consumed or drained before the next entry. */
  body: Readable | undefined;
}

/**
 * Validates an entry name: relative, no `..`, no NUL or backslash. Returns it normalized (no `./`, no
 * trailing slash), so that `a/./b` and `a//b` count as the same entry when looking for duplicates.
 */
export function safeEntryName(raw: string): string {
  const shown = JSON.stringify(raw.slice(0, 200));
  if (raw.includes('\0')) throw new TransferError('UNSAFE_PATH', `entry ${shown} has a NUL byte in its name`);
  if (raw.includes('\\')) throw new TransferError('UNSAFE_PATH', `entry ${shown} has a backslash in its name`);
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) throw new TransferError('UNSAFE_PATH', `entry ${shown} has an absolute path`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new TransferError('UNSAFE_PATH', `entry ${shown} climbs out of the archive with ..`);
  return parts.join('/');
}

/** Resolves a symlink target relative to the link's folder; refuses anything that leaves the archive. */
export function resolveLinkTarget(linkName: string, target: string, type: 'symlink' | 'link'): string {
  const shown = `${linkName} -> ${target}`;
  if (target.startsWith('/')) throw new TransferError('LINK_REFUSED', `link ${shown} points at an absolute path`);
  const joined = type === 'link' ? target : path.posix.join(path.posix.dirname(linkName), target);
  const norm = path.posix.normalize(joined);
  if (norm === '..' || norm.startsWith('../') || path.posix.isAbsolute(norm)) {
    throw new TransferError('LINK_REFUSED', `link ${shown} points outside the archive`);
  }
  return safeEntryName(norm);
}

/** Entries of a tar stream. A stream that ends in the middle of an entry is TRUNCATED. */
export async function* tarEntries(input: Readable): AsyncGenerator<ArchiveEntry> {
  const extract = tar.extract();
  input.on('error', (e) => extract.destroy(e));
  input.pipe(extract);
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const type = h.type ?? 'file';
      if (type !== 'file' && type !== 'contiguous-file' && type !== 'directory' && type !== 'symlink' && type !== 'link') {
        throw new TransferError('ENTRY_TYPE', `entry ${JSON.stringify(h.name)} is a ${type}; archives may hold only files and folders`);
      }
      yield {
        name: safeEntryName(h.name),
        type: type === 'contiguous-file' ? 'file' : type,
        size: h.size ?? 0,
        linkname: h.linkname ?? undefined,
        // Through its async iterator: a streamx entry destroyed by a truncated archive then errors the consumer.
        body: Readable.from(entry, { objectMode: false, highWaterMark: 1 << 20 }),
      };
      entry.resume();
    }
  } catch (e) {
    throw truncation(e);
  } finally {
    input.unpipe(extract);
    input.destroy();
    extract.destroy();
  }
}

/** Maps tar-stream's end-of-data and header errors to transfer errors. */
export function truncation(e: unknown): unknown {
  const msg = (e as Error | undefined)?.message ?? '';
  if (/unexpected end|premature close|ended before|truncated/i.test(msg)) {
    return new TransferError('TRUNCATED', `the archive is truncated (${msg}); copy it again`);
  }
  if (/invalid tar header|checksum/i.test(msg)) {
    return new TransferError('FORMAT', `not a tar archive, or a damaged one (${msg})`);
  }
  return e;
}

/** Entries of an OCI layout folder. Symlinks are refused, never followed. */
export async function* folderEntries(root: string): AsyncGenerator<ArchiveEntry> {
  async function* walk(rel: string): AsyncGenerator<ArchiveEntry> {
    const names = (await fsp.readdir(path.join(root, rel))).sort();
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      const st = await fsp.lstat(path.join(root, r));
      if (st.isSymbolicLink()) throw new TransferError('LINK_REFUSED', `${r} in ${root} is a symlink; layouts may hold only files`);
      if (st.isDirectory()) {
        yield* walk(r);
      } else if (st.isFile()) {
        yield { name: safeEntryName(r), type: 'file', size: st.size, linkname: undefined, body: fs.createReadStream(path.join(root, r), { highWaterMark: 1 << 20 }) };
      } else {
        throw new TransferError('ENTRY_TYPE', `${r} in ${root} is not a regular file`);
      }
    }
  }
  yield* walk('');
}
