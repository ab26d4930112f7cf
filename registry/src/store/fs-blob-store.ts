import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { parseDigest, isDigestAlgorithm, type Digest } from '../oci/digest.js';
import type { BlobStore, ByteRange } from './blob-store.js';
import { StoragePaths } from './paths.js';
import { fsyncDirSync, storageError } from './fs-util.js';
import { sendFile, type ByteSink } from './send-file.js';
import type { DiskSpace } from './disk-space.js';

export class FsBlobStore implements BlobStore {
  /** Staging files of writeSmall calls in progress, which sweepStaging must not take. */
  private readonly writing = new Set<string>();

  constructor(
    private readonly paths: StoragePaths,
    private readonly space?: DiskSpace,
  ) {
    fs.mkdirSync(paths.blobsTmp, { recursive: true });
  }

  async size(digest: Digest): Promise<number | undefined> {
    try {
      return (await fsp.stat(this.paths.blob(digest))).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  open(digest: Digest, range?: ByteRange): Readable {
    const opts = range ? { start: range.start, end: range.end } : {};
    return fs.createReadStream(this.paths.blob(digest), { ...opts, highWaterMark: 256 * 1024 });
  }

  send(digest: Digest, range: ByteRange, sink: ByteSink): Promise<void> {
    return sendFile(this.paths.blob(digest), range, sink);
  }

  readablePath(digest: Digest): string {
    return this.paths.blob(digest);
  }

  readSmall(digest: Digest): Promise<Buffer> {
    return fsp.readFile(this.paths.blob(digest));
  }

  async writeSmall(digest: Digest, bytes: Uint8Array): Promise<void> {
    if (this.existsSync(digest)) return;
    await this.space?.admit(bytes.length);
    const tmp = path.join(this.paths.blobsTmp, randomUUID());
    this.writing.add(tmp);
    try {
      const fh = await fsp.open(tmp, 'w', 0o644);
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      this.commitFileSync(tmp, digest);
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw storageError(e);
    } finally {
      this.writing.delete(tmp);
    }
  }

  async sweepStaging(cutoff: number, dryRun: boolean): Promise<{ files: number; bytes: number }> {
    let files = 0;
    let bytes = 0;
    for (const name of await readdirSafe(this.paths.blobsTmp)) {
      const file = path.join(this.paths.blobsTmp, name);
      if (this.writing.has(file)) continue;
      const st = await fsp.stat(file).catch(() => undefined);
      // Folders are offline-import staging areas, which sweep themselves (StagingArea.sweep).
      if (!st?.isFile() || st.mtimeMs >= cutoff || this.writing.has(file)) continue;
      if (!dryRun) await fsp.rm(file, { force: true });
      files += 1;
      bytes += st.size;
    }
    return { files, bytes };
  }

  commitFileSync(tempPath: string, digest: Digest): void {
    const dir = this.paths.blobDir(digest);
    fs.mkdirSync(dir, { recursive: true });
    // Same content under the same name: overwriting an existing copy is harmless and keeps this idempotent.
    fs.renameSync(tempPath, this.paths.blob(digest));
    fsyncDirSync(dir);
  }

  existsSync(digest: Digest): boolean {
    return fs.existsSync(this.paths.blob(digest));
  }

  deleteSync(digest: Digest): void {
    fs.rmSync(this.paths.blob(digest), { force: true });
  }

  async *list(): AsyncIterable<{ digest: Digest; mtimeMs: number; size: number }> {
    for (const alg of await readdirSafe(this.paths.blobsRoot)) {
      if (!isDigestAlgorithm(alg)) continue;
      for (const prefix of await readdirSafe(path.join(this.paths.blobsRoot, alg))) {
        for (const hex of await readdirSafe(path.join(this.paths.blobsRoot, alg, prefix))) {
          let digest: Digest;
          try {
            digest = parseDigest(`${alg}:${hex}`);
          } catch {
            continue;
          }
          try {
            const st = await fsp.stat(this.paths.blob(digest));
            yield { digest, mtimeMs: st.mtimeMs, size: st.size };
          } catch {
            // vanished while walking
          }
        }
      }
    }
  }

  async usage(): Promise<{ bytes: number; files: number }> {
    let bytes = 0;
    let files = 0;
    for await (const b of this.list()) {
      bytes += b.size;
      files += 1;
    }
    return { bytes, files };
  }
}

async function readdirSafe(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch {
    return [];
  }
}
