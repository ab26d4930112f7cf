import type { Readable } from 'node:stream';
import type { ReferrerDescriptor } from '../upstream/client.js';

/*
 * The two roles of a copy (as in Zot's sync): where content comes from and where it goes. Each role has two
 * implementations, the remote registry (remote-side.ts, over UpstreamClient) and this Berth (local-side.ts,
 * over the Registry service), so one planner and one copier serve both directions.
 */

export interface ManifestRef {
  digest: string;
  mediaType: string;
}

export interface ManifestBytes extends ManifestRef {
  bytes: Buffer;
}

export interface SourceSide {
  /** For messages: the registry name or `berth`. */
  readonly label: string;
  /** Every repository name, or undefined when the side has no catalog (GHCR, ACR, a refused catalog). */
  catalog(): Promise<string[] | undefined>;
  /** Tags in listing order; undefined when the repository does not exist. */
  tags(repository: string): Promise<string[] | undefined>;
  head(repository: string, reference: string): Promise<ManifestRef | undefined>;
  manifest(repository: string, digest: string): Promise<ManifestBytes>;
  /** The blob's bytes from `start` on (callers hash nothing: the destination verifies the digest). */
  /** `size` is the descriptor's: a source stream that runs past it (or ends short) fails. */
  openBlob(repository: string, digest: string, size: number, range?: { start: number; end: number }): Promise<Readable>;
  /** Manifests whose subject is `digest` (referrers API, else the referrers tag schema). */
  referrers(repository: string, digest: string): Promise<ReferrerDescriptor[]>;
  /** Newness of tags for latestN, in ms; undefined entries fall back to listing order. */
  tagTimes(repository: string, tags: { tag: string; ref: ManifestRef }[]): Promise<Map<string, number>>;
}

export interface BlobWrite {
  repository: string;
  digest: string;
  size: number;
  /** Opens the source's bytes [start, end] (end inclusive; default the last byte). */
  open(start: number, end?: number): Promise<Readable>;
  /** Bytes that crossed the link, as they go. */
  onBytes(n: number): void;
}

export interface BlobWritten {
  resumedFrom: number;
  note?: string;
}

export interface DestinationSide {
  readonly label: string;
  head(repository: string, reference: string): Promise<ManifestRef | undefined>;
  hasBlob(repository: string, digest: string): Promise<boolean>;
  /** Cross-repository mount; false when the destination would not (then the bytes are copied). */
  mountBlob(repository: string, digest: string, from: string | undefined): Promise<boolean>;
  /**
   * Streams a blob in; returns the offset it resumed from (0 when it started afresh) and, when a saved upload
   * could not be resumed, a note saying why it started again (for the execution's task).
   */
  writeBlob(w: BlobWrite): Promise<BlobWritten>;
  putManifest(repository: string, reference: string, m: ManifestBytes): Promise<void>;
  /** Tags; undefined when the repository does not exist. */
  tags(repository: string): Promise<string[] | undefined>;
  deleteTag(repository: string, tag: string, digest: string): Promise<void>;
  /** Keeps referrers discoverable where the destination has no referrers API (tag schema index). */
  indexReferrers(repository: string, subject: string, referrers: ReferrerDescriptor[]): Promise<void>;
}
