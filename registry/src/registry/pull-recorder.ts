import type { ManifestTable } from '../meta/manifests.js';
import { pullBucket, type PullStatsTable } from '../meta/pull-stats.js';

/**
 * Last-pulled times, gathered in memory and written in one transaction every few seconds: a pull must not
 * cost a database write (the proxy cache's LRU eviction and the GUI read these).
 */
export class PullRecorder {
  private pending = new Map<string, { repoId: number; digest: string; at: number }>();
  /** Pull counts per (hour, repository) for the dashboard, written with the same batch. */
  private counts = new Map<string, { bucket: number; repoId: number; count: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly manifests: ManifestTable,
    private readonly intervalMs = 10_000,
    private readonly stats?: PullStatsTable,
  ) {}

  record(repoId: number, digest: string, at = Date.now()): void {
    this.pending.set(`${repoId}\u0000${digest}`, { repoId, digest, at });
    if (this.stats) {
      const bucket = pullBucket(at);
      const key = `${bucket}\u0000${repoId}`;
      const c = this.counts.get(key);
      if (c) c.count += 1;
      else this.counts.set(key, { bucket, repoId, count: 1 });
    }
    if (!this.timer) {
      this.timer = setTimeout(() => this.flushOrKeep(), this.intervalMs);
      this.timer.unref();
    }
  }

  /**
   * The timer's flush: a write that fails (SQLITE_FULL on a full disk) must not crash the server from a timer,
   * nor lose the times; the batch goes back (merged, so memory stays bounded by distinct manifests) for later.
   */
  private flushOrKeep(): void {
    const batch = this.pending;
    const counts = this.counts;
    try {
      this.flush();
    } catch {
      for (const [k, v] of batch) if (!this.pending.has(k)) this.pending.set(k, v);
      for (const [k, c] of counts) {
        const now = this.counts.get(k);
        if (now) now.count += c.count;
        else this.counts.set(k, c);
      }
      this.timer ??= setTimeout(() => this.flushOrKeep(), this.intervalMs);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    const counts = this.counts;
    this.pending = new Map();
    this.counts = new Map();
    this.manifests.touchMany(batch.values());
    this.stats?.addMany(counts.values());
  }
}
