import type { Readable } from 'node:stream';
import { DomainError } from '../errors.js';
import { parseDigest, type Digest } from '../oci/digest.js';
import { assertRepositoryName } from '../oci/reference.js';
import type { UploadState } from '../store/upload-store.js';
import type { Actor, RegistryContext } from './context.js';

export interface ChunkOptions {
  /** Content-Range start as the client declared it, if it did. */
  rangeStart?: number;
  /** Content-Range end (inclusive) as declared. */
  rangeEnd?: number;
  /** Content-Length as declared. */
  contentLength?: number;
}

/** Blob upload sessions: start, append chunks, complete with digest verification, cancel. */
export class UploadService {
  constructor(private readonly ctx: RegistryContext) {}

  async start(repository: string): Promise<UploadState> {
    assertRepositoryName(repository);
    return this.ctx.uploads.create(repository);
  }

  status(repository: string, id: string): Promise<UploadState> {
    assertRepositoryName(repository);
    return this.ctx.uploads.get(repository, id);
  }

  async append(repository: string, id: string, body: Readable, opts: ChunkOptions): Promise<UploadState> {
    return this.appendTo(await this.status(repository, id), body, opts, undefined);
  }

  /** Appends a chunk; `digest` when the client already named the blob (the closing PUT, a single-request push). */
  private async appendTo(upload: UploadState, body: Readable, opts: ChunkOptions, digest: Digest | undefined): Promise<UploadState> {
    const { repository, id } = upload;
    if (opts.rangeStart !== undefined) {
      if (opts.rangeStart !== upload.offset) {
        throw new DomainError('RANGE_INVALID', `chunk starts at ${opts.rangeStart}, the upload has ${upload.offset} bytes`, undefined, {
          Range: rangeHeader(upload.offset),
          Location: uploadLocation(repository, id),
          'Docker-Upload-UUID': id,
        });
      }
      if (opts.rangeEnd !== undefined && opts.contentLength !== undefined && opts.rangeEnd - opts.rangeStart + 1 !== opts.contentLength) {
        throw new DomainError('RANGE_INVALID', 'Content-Range does not match Content-Length', undefined, {
          Range: rangeHeader(upload.offset),
        });
      }
    }
    // A declared length that cannot fit is refused before the body is read, not after it was stored.
    const declared = opts.contentLength;
    if (declared !== undefined) {
      await this.guarded(id, () => this.ctx.checkContent({ repository, digest: digest?.value, size: upload.offset + declared, cacheFill: false }));
    }
    const offset = await this.ctx.uploads.append(upload, body, { expectedBytes: opts.contentLength });
    return { ...upload, offset };
  }

  /**
   * Runs `step` (a content guard, or the commit that runs them); when a guard refuses, the session and its
   * bytes are removed at once: the client cannot finish it, and nothing should wait for GC.
   */
  private async guarded<T>(id: string, step: () => T): Promise<T> {
    try {
      return step();
    } catch (e) {
      if (e instanceof DomainError && e.code === 'DENIED') await this.ctx.uploads.remove(id);
      throw e;
    }
  }

  /**
   * Completes an upload: appends the optional last chunk, verifies the digest, commits the blob and links it
   * into the repository. Nothing is visible before the digest matched and the bytes are on disk.
   */
  async complete(repository: string, id: string, digestStr: string, body: Readable | undefined, opts: ChunkOptions, actor: Actor): Promise<Digest> {
    const digest = parseDigest(digestStr);
    let upload = await this.status(repository, id);
    if (body) upload = await this.appendTo(upload, body, opts, digest);
    const sealed = await this.ctx.uploads.seal(upload, digest);
    await this.guarded(id, () => this.ctx.commitBlobFile(repository, digest, sealed.path, sealed.size));
    await this.ctx.uploads.remove(id);
    this.ctx.events.emit('blob.pushed', { repository, digest: digest.value, size: sealed.size, actor: actor.username, mounted: false });
    return digest;
  }

  /** Single-request push (POST ?digest=). */
  async monolithic(repository: string, digestStr: string, body: Readable, opts: ChunkOptions, actor: Actor): Promise<Digest> {
    const digest = parseDigest(digestStr);
    assertRepositoryName(repository);
    // Refused before a session exists when the declared length cannot fit.
    if (opts.contentLength !== undefined) this.ctx.checkContent({ repository, digest: digest.value, size: opts.contentLength, cacheFill: false });
    const upload = await this.start(repository);
    try {
      return await this.complete(repository, upload.id, digestStr, body, opts, actor);
    } catch (e) {
      await this.ctx.uploads.remove(upload.id);
      throw e;
    }
  }

  async cancel(repository: string, id: string): Promise<void> {
    await this.status(repository, id);
    await this.ctx.uploads.remove(id);
  }
}

export function uploadLocation(repository: string, id: string): string {
  return `/v2/${repository}/blobs/uploads/${id}`;
}

/** The Range header of an upload's progress: inclusive end, and `0-0` for an empty upload as Distribution does. */
export function rangeHeader(offset: number): string {
  return `0-${Math.max(0, offset - 1)}`;
}
