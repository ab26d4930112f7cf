import type { ManifestTable } from '../meta/manifests.js';

/**
 * Last-pulled times, gathered in memory and written in one transaction every few seconds: a pull must not
 * cost a database write (the proxy cache's LRU eviction and the GUI read these).
 */
export class PullRecorder {
  private pending = new Map<string, { repoId: number; digest: string; at: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly manifests: ManifestTable, private readonly intervalMs = 10_000) {}

  record(repoId: number, digest: string, at = Date.now()): void {
    this.pending.set(`${repoId}\u0000${digest}`, { repoId, digest, at });
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.manifests.touchMany(batch.values());
  }
}
