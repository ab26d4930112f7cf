import type { Readable } from 'node:stream';
import type { Logger } from '../logger.js';
import type { EventBus } from '../events/event-bus.js';
import type { Registry } from '../registry/index.js';
import type { StoragePaths } from '../store/paths.js';
import { FillFile } from '../store/fill-file.js';
import type { Digest } from '../oci/digest.js';
import { isDomainError } from '../errors.js';
import { UpstreamError, isUpstreamError } from '../upstream/errors.js';
import { InFlight } from './inflight.js';
import type { UpstreamGate } from './upstreams.js';
import type { ProxyMetrics } from './proxy-metrics.js';

export interface BlobFill {
  file: FillFile;
  /** From the upstream's Content-Length, when it sent one. */
  size: number | undefined;
  /** Settles when the fill is committed (or failed); readers do not need it. */
  done: Promise<void>;
}

/**
 * Blob misses of proxy projects: one upstream GET per (repository, digest) however many clients ask at once;
 * each client streams from the staging file while it fills. The client bounds the body (Content-Length, else
 * limits.maxBlobBytes) and the bytes are hashed; only a body of the right size and digest is committed (through the registry service), anything else
 * fails every reader and leaves nothing behind.
 */
export class BlobFiller {
  private readonly fills = new InFlight<BlobFill>();

  constructor(
    private readonly registry: Registry,
    private readonly paths: StoragePaths,
    private readonly gate: UpstreamGate,
    private readonly events: EventBus,
    private readonly log: Logger,
    private readonly metrics: ProxyMetrics | undefined,
  ) {}

  get active(): number {
    return this.fills.size;
  }

  fill(registryName: string, repository: string, upstreamRepo: string, digest: Digest): Promise<BlobFill> {
    return this.fills.run(
      `${repository}\u0000${digest.value}`,
      async () => {
        const res = await this.gate.call(registryName, (c) => c.getBlob(upstreamRepo, digest.value));
        let file: FillFile;
        let room: number;
        try {
          // A fill that cannot fit is refused (507) before a byte is written; unknown sizes are bounded by the room.
          room = await this.registry.cacheFill.admit(res.size);
          file = await FillFile.create(this.paths, digest.algorithm);
        } catch (e) {
          res.body.destroy();
          throw e;
        }
        const done = this.pump(registryName, repository, digest, res.body, file, room);
        return { file, size: res.size, done };
      },
      (f) => f.done,
    );
  }

  private async pump(registryName: string, repository: string, digest: Digest, body: Readable, file: FillFile, room: number): Promise<void> {
    try {
      try {
        // Chunks are gathered up to 256 KiB per write: fewer syscalls, and readers still see bytes early.
        let batch: Buffer[] = [];
        let batchBytes = 0;
        // The body is bounded by the client (Content-Length, else limits.maxBlobBytes): it fails, never overfills.
        for await (const chunk of body as AsyncIterable<Buffer>) {
          if (file.written + batchBytes + chunk.length > room) throw this.registry.cacheFill.fullError();
          batch.push(chunk);
          batchBytes += chunk.length;
          if (batchBytes >= 256 * 1024) {
            await file.write(batch);
            this.metrics?.upstreamBytes.inc({ registry: registryName }, batchBytes);
            batch = [];
            batchBytes = 0;
          }
        }
        if (batchBytes > 0) {
          await file.write(batch);
          this.metrics?.upstreamBytes.inc({ registry: registryName }, batchBytes);
        }
      } catch (e) {
        if (isUpstreamError(e) || isDomainError(e)) throw e;
        throw new UpstreamError('unavailable', `the upstream body of ${digest.value} broke off after ${file.written} bytes: ${(e as Error).message}`);
      }
      const actual = file.digestHex();
      if (actual !== digest.hex) {
        throw new UpstreamError('invalid', `upstream sent bytes with digest ${digest.algorithm}:${actual} for ${digest.value}`);
      }
      // Verified bytes go to the clients now; the fsync and commit (durability of the cache) follow.
      file.verify();
      await file.sync();
      this.registry.cacheFill.commitBlob(repository, digest, file.path, file.written);
      file.complete();
      this.gate.succeeded(registryName);
      this.events.emit('proxy.cached', { repository, registry: registryName, kind: 'blob', digest: digest.value, reference: undefined, size: file.written });
    } catch (e) {
      body.destroy();
      const err = e instanceof Error ? e : new Error(String(e));
      await file.fail(err);
      // A full disk here is not the upstream's fault: it must not trip the circuit breaker.
      if (!isDomainError(e)) this.gate.report(registryName, err);
      this.log.warn({ err: err.message, repository, digest: digest.value, registry: registryName }, 'proxy blob fill failed; nothing was stored');
    }
  }
}
