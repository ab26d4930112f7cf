import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { randomUUID, type Hash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError } from '../errors.js';
import { newHasher, type Digest } from '../oci/digest.js';
import { StoragePaths } from './paths.js';
import { storageError } from './fs-util.js';
import { BatchedFileWriter } from './batched-file-writer.js';
import { noteStreamedBytes } from './garbage-pacer.js';
import type { DiskSpace } from './disk-space.js';
import { BoundedStream } from './bounded-stream.js';

export interface UploadInfo {
  id: string;
  repository: string;
  startedAt: number;
}

export interface UploadState extends UploadInfo {
  /** bytes received so far */
  offset: number;
}

/**
 * Upload sessions on disk. State is the data file itself (its size is the offset) plus a small info file,
 * so sessions survive a restart. A running sha256 is kept in memory while chunks arrive in order; after a
 * restart, a failed chunk or for another algorithm, the file is hashed again at the end.
 */
export class UploadStore {
  private readonly hashers = new Map<string, { hash: Hash; offset: number }>();
  private readonly busy = new Set<string>();
  private static readonly idPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

  /** `maxBlobBytes` caps an upload whose chunks declare no length (config limits.maxBlobBytes). */
  constructor(
    private readonly paths: StoragePaths,
    private readonly space?: DiskSpace,
    private readonly limits: { maxBlobBytes: number } = { maxBlobBytes: Number.MAX_SAFE_INTEGER },
  ) {
    fs.mkdirSync(paths.uploadsRoot, { recursive: true });
  }

  /**
   * Admits `bytes` (undefined: not declared) into the uploads area against the disk reserve; returns the most
   * a stream may then write. Throws STORAGE_FULL (507) when they do not fit. Proxy cache fills use it too.
   */
  admit(bytes: number | undefined): Promise<number> {
    return this.space ? this.space.admit(bytes) : Promise.resolve(Number.POSITIVE_INFINITY);
  }

  /** The STORAGE_FULL error for a stream that outgrew what admit() allowed. */
  fullError(): DomainError {
    return this.space?.fullError() ?? new DomainError('STORAGE_FULL');
  }

  async create(repository: string): Promise<UploadState> {
    // Refused before anything is written: a client on a full disk hears 507 at once, not after its first chunk.
    await this.admit(0);
    const id = randomUUID();
    const info: UploadInfo = { id, repository, startedAt: Date.now() };
    try {
      await fsp.mkdir(this.paths.uploadDir(id));
      await fsp.writeFile(this.paths.uploadData(id), '');
      await fsp.writeFile(this.paths.uploadInfo(id), JSON.stringify(info));
    } catch (e) {
      await fsp.rm(this.paths.uploadDir(id), { recursive: true, force: true });
      throw storageError(e);
    }
    this.hashers.set(id, { hash: newHasher('sha256'), offset: 0 });
    return { ...info, offset: 0 };
  }

  /** The session, checked to belong to this repository. Unknown or foreign ids are BLOB_UPLOAD_UNKNOWN. */
  async get(repository: string, id: string): Promise<UploadState> {
    if (!UploadStore.idPattern.test(id)) throw new DomainError('BLOB_UPLOAD_UNKNOWN', 'unknown upload id');
    let info: UploadInfo;
    let size: number;
    try {
      info = JSON.parse(await fsp.readFile(this.paths.uploadInfo(id), 'utf8')) as UploadInfo;
      size = (await fsp.stat(this.paths.uploadData(id))).size;
    } catch {
      throw new DomainError('BLOB_UPLOAD_UNKNOWN', 'unknown upload id');
    }
    if (info.repository !== repository) throw new DomainError('BLOB_UPLOAD_UNKNOWN', 'unknown upload id');
    return { ...info, offset: size };
  }

  /**
   * Appends a chunk at `expectedOffset` (the current size). On any failure the data file is cut back to where
   * it was, so a client may retry the chunk.
   */
  async append(upload: UploadState, body: Readable, opts: { expectedBytes?: number } = {}): Promise<number> {
    const { id } = upload;
    if (this.busy.has(id)) {
      throw new DomainError('RANGE_INVALID', 'another chunk for this upload is still being written');
    }
    this.busy.add(id);
    const start = upload.offset;
    const running = this.hashers.get(id);
    const hash = running && running.offset === start ? running.hash : undefined;
    const expected = opts.expectedBytes;
    let room: number;
    try {
      room = await this.admit(expected);
    } catch (e) {
      this.busy.delete(id);
      throw e;
    }
    const full = () => this.fullError();
    const cap = this.limits.maxBlobBytes;
    const bounds = new BoundedStream({
      max: expected ?? Math.max(0, cap - start),
      exact: expected !== undefined,
      error: (v) =>
        new DomainError(
          'SIZE_INVALID',
          expected === undefined
            ? `the upload is larger than the ${cap} bytes allowed (limits.maxBlobBytes)`
            : v.kind === 'longer'
              ? `chunk is larger than its declared length of ${expected} bytes`
              : `received ${v.received} bytes, Content-Length said ${expected}`,
        ),
    });
    let written = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        written += chunk.length;
        if (written > room) {
          cb(full());
          return;
        }
        hash?.update(chunk);
        noteStreamedBytes(chunk.length);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(body, bounds, meter, new BatchedFileWriter(this.paths.uploadData(id)));
      if (hash) this.hashers.set(id, { hash, offset: start + written });
      return start + written;
    } catch (e) {
      this.hashers.delete(id);
      await fsp.truncate(this.paths.uploadData(id), start).catch(() => undefined);
      throw storageError(e);
    } finally {
      this.busy.delete(id);
    }
  }

  /**
   * Verifies the received bytes against `digest` and fsyncs them. Returns the path of the data file, ready
   * for BlobStore.commitFileSync, and its size. Throws DIGEST_INVALID when the bytes do not match.
   */
  async seal(upload: UploadState, digest: Digest): Promise<{ path: string; size: number }> {
    const file = this.paths.uploadData(upload.id);
    let actual: string;
    const running = this.hashers.get(upload.id);
    if (digest.algorithm === 'sha256' && running && running.offset === upload.offset) {
      actual = running.hash.copy().digest('hex');
    } else {
      const h = newHasher(digest.algorithm);
      await pipeline(fs.createReadStream(file, { highWaterMark: 1 << 20 }), async (src: AsyncIterable<Buffer>) => {
        for await (const chunk of src) h.update(chunk);
      });
      actual = h.digest('hex');
    }
    if (actual !== digest.hex) {
      throw new DomainError('DIGEST_INVALID', `uploaded content has digest ${digest.algorithm}:${actual}, not ${digest.value}`);
    }
    const fh = await fsp.open(file, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    return { path: file, size: upload.offset };
  }

  async remove(id: string): Promise<void> {
    this.hashers.delete(id);
    await fsp.rm(this.paths.uploadDir(id), { recursive: true, force: true });
  }

  /** Sessions not touched for longer than `maxAgeMs`, for the garbage collector. */
  async stale(maxAgeMs: number, now = Date.now()): Promise<string[]> {
    const out: string[] = [];
    let ids: string[];
    try {
      ids = await fsp.readdir(this.paths.uploadsRoot);
    } catch {
      return out;
    }
    for (const id of ids) {
      if (this.busy.has(id)) continue;
      try {
        const st = await fsp.stat(this.paths.uploadData(id));
        if (now - st.mtimeMs > maxAgeMs) out.push(id);
      } catch {
        // info without data (crash during create): stale by definition once old enough
        const st = await fsp.stat(this.paths.uploadDir(id)).catch(() => undefined);
        if (!st || now - st.mtimeMs > maxAgeMs) out.push(id);
      }
    }
    return out;
  }
}
