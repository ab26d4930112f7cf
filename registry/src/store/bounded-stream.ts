import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';

/*
 * The one guard every byte stream from outside passes through (proxy fills, replication pulls, uploads,
 * upstream manifests): a peer's body is never trusted to end where it said it would. The stream fails the
 * moment a chunk would carry it past its limit — the extra bytes are never passed on, so nothing past the
 * limit is staged — and, for a declared length, fails at the end when fewer bytes came.
 */

export interface BoundsViolation {
  /** longer: past the limit (the stream stops at once); shorter: ended before a declared length. */
  kind: 'longer' | 'shorter';
  limit: number;
  /** Bytes seen when it failed (for `longer`, including the chunk that crossed the limit). */
  received: number;
}

export class BodyBoundsError extends Error {
  constructor(readonly violation: BoundsViolation, message?: string) {
    super(
      message ??
        (violation.kind === 'longer'
          ? `the body is longer than the ${violation.limit} bytes allowed`
          : `the body ended after ${violation.received} of the ${violation.limit} bytes declared`),
    );
    this.name = 'BodyBoundsError';
  }
}

export interface Bounds {
  /** Most bytes allowed. */
  max: number;
  /** `max` is a declared length: ending with fewer bytes is an error too. */
  exact?: boolean;
  /** The error to fail with (callers speak their layer's language: DomainError, UpstreamError …). */
  error?: (v: BoundsViolation) => Error;
}

export class BoundedStream extends Transform {
  received = 0;

  constructor(private readonly bounds: Bounds) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const next = this.received + chunk.length;
    if (next > this.bounds.max) {
      cb(this.fail({ kind: 'longer', limit: this.bounds.max, received: next }));
      return;
    }
    this.received = next;
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.bounds.exact && this.received !== this.bounds.max) {
      cb(this.fail({ kind: 'shorter', limit: this.bounds.max, received: this.received }));
      return;
    }
    cb();
  }

  private fail(v: BoundsViolation): Error {
    return this.bounds.error?.(v) ?? new BodyBoundsError(v);
  }
}

/**
 * `source` seen through a BoundedStream. A failure on either side destroys both: the peer's connection is
 * dropped as soon as it oversteps, instead of being read to its end.
 */
export function boundedBody(source: Readable, bounds: Bounds): BoundedStream {
  const guard = new BoundedStream(bounds);
  // The callback is required by pipeline; errors reach the caller through `guard` itself. The guard may fail
  // before its consumer attached (a short body ends while the caller is still setting up): the no-op listener
  // keeps that from crashing the process; the stream stays errored, so the consumer still gets the error.
  guard.on('error', () => undefined);
  return pipeline(source, guard, () => undefined);
}
