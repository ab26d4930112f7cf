import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { newHasher, type DigestAlgorithm } from '../oci/digest.js';
import { StoragePaths } from './paths.js';
import { storageError } from './fs-util.js';

export interface StagedFile {
  /** Path to hand to BlobStore.commitFileSync once everything is verified. */
  file: string;
  /** `algorithm:hex` of the bytes actually written. */
  digest: string;
  size: number;
}

/**
 * A private staging folder for a batch of blobs that must become visible together (offline import). Lives
 * under blobs/tmp so that commit is a rename on the same filesystem; GC never looks there. Files are hashed
 * while written and fsynced; the caller compares the digest and decides. `discard()` removes everything.
 */
export class StagingArea {
  readonly dir: string;
  private n = 0;

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async create(paths: StoragePaths): Promise<StagingArea> {
    // The owner's pid is in the name: a sweep can tell a killed import's leftovers from one still running.
    const dir = path.join(paths.blobsTmp, `import-${Date.now()}-p${process.pid}-${randomUUID()}`);
    await fsp.mkdir(dir, { recursive: true, mode: 0o750 });
    return new StagingArea(dir);
  }

  /**
   * Removes staging folders a killed or crashed import left behind: those whose owner process is gone at once,
   * others (an older name without pid, a live pid) once older than maxAgeMs. Returns what it removed.
   */
  static async sweep(paths: StoragePaths, maxAgeMs: number, now = Date.now(), dryRun = false): Promise<{ folders: number; bytes: number }> {
    const removed = { folders: 0, bytes: 0 };
    for (const name of await fsp.readdir(paths.blobsTmp).catch(() => [] as string[])) {
      const m = /^import-(\d+)-(?:p(\d+)-)?/.exec(name);
      if (!m) continue;
      const pid = m[2] === undefined ? undefined : Number(m[2]);
      const ownerGone = pid !== undefined && pid !== process.pid && !isAlive(pid);
      if (!ownerGone && now - Number(m[1]) <= maxAgeMs) continue;
      const dir = path.join(paths.blobsTmp, name);
      removed.bytes += await folderBytes(dir);
      if (!dryRun) await fsp.rm(dir, { recursive: true, force: true });
      removed.folders += 1;
    }
    return removed;
  }

  /**
   * Streams `body` into a new staging file, hashing as it goes. `maxBytes` stops an entry that grows past
   * what it declared (or what the disk can take) before it is written.
   */
  async write(body: Readable, opts: { algorithm?: DigestAlgorithm; maxBytes?: number; onBytes?: (n: number) => void } = {}): Promise<StagedFile> {
    const algorithm = opts.algorithm ?? 'sha256';
    const file = path.join(this.dir, String(++this.n));
    const hash = newHasher(algorithm);
    const max = opts.maxBytes ?? Number.POSITIVE_INFINITY;
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > max) {
          cb(new Error(`entry is larger than the ${max} bytes allowed`));
          return;
        }
        hash.update(chunk);
        opts.onBytes?.(chunk.length);
        cb(null, chunk);
      },
    });
    try {
      const out = fs.createWriteStream(file, { flags: 'wx', mode: 0o644, highWaterMark: 1 << 20 });
      await pipeline(body, meter, out);
      const fh = await fsp.open(file, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (e) {
      await fsp.rm(file, { force: true });
      throw storageError(e);
    }
    return { file, digest: `${algorithm}:${hash.digest('hex')}`, size };
  }

  async discard(): Promise<void> {
    await fsp.rm(this.dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: alive, owned by someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function folderBytes(dir: string): Promise<number> {
  let n = 0;
  for (const f of await fsp.readdir(dir).catch(() => [] as string[])) n += (await fsp.stat(path.join(dir, f)).catch(() => undefined))?.size ?? 0;
  return n;
}
