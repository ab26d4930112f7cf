import type { Readable } from 'node:stream';
import type { Digest } from '../oci/digest.js';
import type { ByteSink } from './send-file.js';

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
  /**
   * Writes an inclusive byte range of a blob into `sink` (the fast path of blob GET). Rejects before writing
   * anything when the file cannot be opened; after that, a failure leaves the sink half written.
   */
  send(digest: Digest, range: ByteRange, sink: ByteSink): Promise<void>;
  readSmall(digest: Digest): Promise<Buffer>;
  /**
   * A file path to read a committed blob in place, for readers that need random access (a zip archive's
   * central directory sits at its end). Read only: the file belongs to the store.
   */
  readablePath(digest: Digest): string;
  /** Writes small content (manifests) through staging, fsync and rename. Verifies nothing: caller hashed it. */
  writeSmall(digest: Digest, bytes: Uint8Array): Promise<void>;
  /** Moves a fully written, fsynced, verified file into place. Synchronous by design (see interface doc). */
  commitFileSync(tempPath: string, digest: Digest): void;
  existsSync(digest: Digest): boolean;
  deleteSync(digest: Digest): void;
  /** Walks every committed blob file (for GC of files without rows). */
  list(): AsyncIterable<{ digest: Digest; mtimeMs: number; size: number }>;
  /** Removes staging files older than `cutoff` (epoch ms) that a crash left behind before their rename. */
  sweepStaging(cutoff: number, dryRun: boolean): Promise<{ files: number; bytes: number }>;
  usage(): Promise<{ bytes: number; files: number }>;
}
