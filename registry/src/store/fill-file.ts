import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { randomUUID, type Hash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import { newHasher, type Digest } from '../oci/digest.js';
import type { StoragePaths } from './paths.js';

/**
 * A blob being filled from a remote registry (proxy cache): bytes are appended to a staging file in the
 * uploads area (so a crash leaves a stale session the garbage collector sweeps), hashed as they arrive, and
 * any number of readers follow the file as it grows. Readers never get the last byte before the digest was
 * verified, so a client never receives a complete body with wrong content. Memory stays flat: the bytes live
 * on disk, readers pull them at their own pace.
 */
export class FillFile {
  readonly id = randomUUID();
  readonly path: string;
  written = 0;
  /** verified: the digest matched, readers may have every byte; complete: committed (the file was renamed). */
  state: 'filling' | 'verified' | 'complete' | 'failed' = 'filling';
  error: Error | undefined;
  private readonly hash: Hash;
  private readonly events = new EventEmitter();
  private fh: fsp.FileHandle | undefined;

  private constructor(private readonly paths: StoragePaths, algorithm: Digest['algorithm']) {
    this.path = paths.uploadData(this.id);
    this.hash = newHasher(algorithm);
    this.events.setMaxListeners(0);
  }

  static async create(paths: StoragePaths, algorithm: Digest['algorithm']): Promise<FillFile> {
    const f = new FillFile(paths, algorithm);
    await fsp.mkdir(paths.uploadDir(f.id), { recursive: true });
    await fsp.writeFile(paths.uploadInfo(f.id), JSON.stringify({ id: f.id, repository: '(proxy fill)', startedAt: Date.now() }));
    f.fh = await fsp.open(f.path, 'w', 0o644);
    return f;
  }

  /** Appends chunks (one writev); readers are told once they are in the file. */
  async write(chunks: Buffer[]): Promise<void> {
    let total = 0;
    for (const c of chunks) {
      this.hash.update(c);
      total += c.length;
    }
    let { bytesWritten } = await this.fh!.writev(chunks, this.written);
    if (bytesWritten < total) {
      // Short write (rare): finish the rest from the concatenated buffer.
      const rest = Buffer.concat(chunks, total).subarray(bytesWritten);
      let off = 0;
      while (off < rest.length) {
        const r = await this.fh!.write(rest, off, rest.length - off, this.written + bytesWritten + off);
        off += r.bytesWritten;
      }
      bytesWritten = total;
    }
    this.written += total;
    this.events.emit('change');
  }

  /** The hex digest of everything written (once, at the end). */
  digestHex(): string {
    return this.hash.digest('hex');
  }

  /** fsync and close; the file is then ready for BlobStore.commitFileSync. */
  async sync(): Promise<void> {
    await this.fh!.sync();
    await this.fh!.close();
    this.fh = undefined;
  }

  /** The digest matched: readers may now have the last byte (committing can go on meanwhile). */
  verify(): void {
    this.state = 'verified';
    this.events.emit('change');
  }

  /** The blob was committed (the staging file is gone: new readers open the committed blob). */
  complete(): void {
    this.state = 'complete';
    this.events.emit('change');
    void fsp.rm(this.paths.uploadDir(this.id), { recursive: true, force: true });
  }

  /** Every reader fails with `error`; the staging file is removed. */
  async fail(error: Error): Promise<void> {
    if (this.state === 'complete' || this.state === 'failed') return;
    this.state = 'failed';
    this.error = error;
    this.events.emit('change');
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
    await fsp.rm(this.paths.uploadDir(this.id), { recursive: true, force: true });
  }

  /** A stream of bytes [start, end] (inclusive; end defaults to the end of the blob) following the fill. */
  follow(start = 0, end?: number): Readable {
    return new FillReader(this, start, end, (fn) => {
      this.events.on('change', fn);
      return () => this.events.off('change', fn);
    });
  }
}

class FillReader extends Readable {
  private fd: number | undefined;
  private pos: number;
  private reading = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly fill: FillFile,
    start: number,
    private readonly end: number | undefined,
    subscribe: (fn: () => void) => () => void,
  ) {
    super({ highWaterMark: 256 * 1024 });
    this.pos = start;
    // The file is opened at once: after commit it is renamed, after a failure removed; an open fd survives both.
    this.fd = fs.openSync(fill.path, 'r');
    this.unsubscribe = subscribe(() => this.pump());
  }

  override _read(): void {
    this.pump();
  }

  private pump(): void {
    if (this.reading || this.destroyed || this.fd === undefined) return;
    const f = this.fill;
    if (f.state === 'failed') {
      this.destroy(f.error ?? new Error('upstream fill failed'));
      return;
    }
    const complete = f.state === 'verified' || f.state === 'complete';
    const limit = this.end !== undefined ? this.end + 1 : complete ? f.written : Number.POSITIVE_INFINITY;
    if ((complete && this.pos >= Math.min(limit, f.written)) || (this.end !== undefined && this.pos > this.end)) {
      this.push(null);
      return;
    }
    // Hold back the last byte until the digest is verified and the blob committed.
    const available = Math.min(limit, complete ? f.written : f.written - 1);
    if (this.pos >= available) return;
    const len = Math.min(256 * 1024, available - this.pos);
    const buf = Buffer.allocUnsafe(len);
    this.reading = true;
    fs.read(this.fd, buf, 0, len, this.pos, (err, n) => {
      this.reading = false;
      if (err) {
        this.destroy(err);
        return;
      }
      this.pos += n;
      if (this.push(n === len ? buf : buf.subarray(0, n))) this.pump();
    });
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    this.unsubscribe();
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.fd = undefined;
      fs.close(fd, () => cb(err));
    } else cb(err);
  }
}
