import type { Readable } from 'node:stream';
import type { Digest } from '../oci/digest.js';

export interface ByteRange {
  start: number;
  /** inclusive */
  end: number;
}

/**
 * Content-addressed storage of committed bytes. Knows nothing of repositories: which repository may see a
 * blob is metadata (meta/). Every method that changes the tree is synchronous at its final step so that
 * callers can order it with a metadata transaction in one turn of the event loop.
 */
export interface BlobStore {
  /** Size of a committed blob, or undefined when absent. */
  size(digest: Digest): Promise<number | undefined>;
  open(digest: Digest, range?: ByteRange): Readable;
  readSmall(digest: Digest): Promise<Buffer>;
  /** Writes small content (manifests) through staging, fsync and rename. Verifies nothing: caller hashed it. */
  writeSmall(digest: Digest, bytes: Uint8Array): Promise<void>;
  /** Moves a fully written, fsynced, verified file into place. Synchronous by design (see interface doc). */
  commitFileSync(tempPath: string, digest: Digest): void;
  existsSync(digest: Digest): boolean;
  deleteSync(digest: Digest): void;
  /** Walks every committed blob file (for GC of files without rows). */
  list(): AsyncIterable<{ digest: Digest; mtimeMs: number; size: number }>;
  usage(): Promise<{ bytes: number; files: number }>;
}
