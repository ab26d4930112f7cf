import { Transform } from 'node:stream';

/**
 * A token bucket shared by every transfer of a run: `rate` bytes per second with a burst of a quarter
 * second. take() never refuses; it tells how long to wait, so concurrent streams share the rate.
 */
export class TokenBucket {
  private tokens: number;
  private last = Date.now();
  private readonly burst: number;

  constructor(readonly rate: number) {
    this.burst = Math.max(64 * 1024, rate / 4);
    this.tokens = this.burst;
  }

  /** Takes n bytes' worth; resolves when the bytes may go. */
  async take(n: number): Promise<void> {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    this.tokens -= n;
    if (this.tokens >= 0) return;
    await new Promise((resolve) => setTimeout(resolve, (-this.tokens / this.rate) * 1000));
  }
}

/** A pass-through that counts bytes and, with a bucket, holds each chunk until the bucket lets it go. */
export function throttled(bucket: TokenBucket | undefined, onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onBytes(chunk.length);
      if (!bucket) return cb(null, chunk);
      bucket.take(chunk.length).then(() => cb(null, chunk), cb);
    },
  });
}
