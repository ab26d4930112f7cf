import fs from 'node:fs';
import { Writable } from 'node:stream';

/**
 * Appends to a file in batches of about `batchBytes`. Request bodies arrive in 64 KiB pieces; writing each
 * one (as fs.createWriteStream does while the disk keeps up) costs a trip to the thread pool per piece, and
 * on a busy machine every trip waits for a CPU. Gathering a MiB first makes 16x fewer trips. Memory stays
 * bounded: at most one batch is gathered while the previous one is being written.
 */
export class BatchedFileWriter extends Writable {
  private fd: number | undefined;
  private batch: Buffer[] = [];
  private batchSize = 0;

  constructor(private readonly path: string, private readonly batchBytes = 1 << 20) {
    super({ highWaterMark: batchBytes });
  }

  override _construct(cb: (err?: Error | null) => void): void {
    fs.open(this.path, 'a', (err, fd) => {
      if (err) return cb(err);
      this.fd = fd;
      cb();
    });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.batch.push(chunk);
    this.batchSize += chunk.length;
    // Accepting a chunk without writing it is fine: nothing is acknowledged to the client before _final.
    if (this.batchSize < this.batchBytes) return cb();
    this.flush(cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.flush(cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.batch = [];
    if (this.fd === undefined) return cb(err);
    fs.close(this.fd, (closeErr) => cb(err ?? closeErr));
    this.fd = undefined;
  }

  private flush(cb: (err?: Error | null) => void): void {
    const buffers = this.batch;
    this.batch = [];
    this.batchSize = 0;
    if (buffers.length === 0) return cb();
    writeAll(this.fd!, buffers, cb);
  }
}

/** fs.writev may write less than asked (rare for files, but allowed): continue with the rest. */
function writeAll(fd: number, buffers: Buffer[], cb: (err?: Error | null) => void): void {
  fs.writev(fd, buffers, (err, written) => {
    if (err) return cb(err);
    let left = written;
    let i = 0;
    while (i < buffers.length && left >= buffers[i]!.length) left -= buffers[i++]!.length;
    if (i === buffers.length) return cb();
    const rest = [buffers[i]!.subarray(left), ...buffers.slice(i + 1)];
    writeAll(fd, rest, cb);
  });
}
