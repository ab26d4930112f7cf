import type { Meta } from '../meta/index.js';
import type { CacheEntry } from '../meta/remotes.js';
import type { Registry } from '../registry/index.js';
import type { EventBus } from '../events/event-bus.js';
import { isDomainError } from '../errors.js';
import type { ProxyProjectService } from './proxy-projects.js';
import type { GcSweep } from '../gc/garbage-collector.js';

/**
 * Cache cap and TTL of proxy projects, run by the garbage collector before it collects: cached manifests not
 * pulled for `ttlSeconds` go, then the least recently pulled ones until the project holds at most
 * `cacheMaxBytes`. Last-pulled times come from the batched PullRecorder (flushed first), so pulls never pay a
 * write for this. Eviction removes manifests through the registry service and unlinks blobs no remaining
 * manifest of the repository uses; the collector frees their files once the GC grace period has passed.
 * An evicted image is simply fetched again on its next pull. It runs in Core (the offline `berth gc` too), so
 * it only emits `proxy.evicted`; the server, which owns the metrics, counts those events.
 */
export class CacheEvictor implements GcSweep {
  constructor(
    private readonly registry: Registry,
    private readonly meta: Meta,
    private readonly projects: ProxyProjectService,
    private readonly events: EventBus,
  ) {}

  /** Pending pull times are written first: they decide what is least recently pulled. */
  prepare(): void {
    this.registry.flush();
  }

  /**
   * One eviction per step. A dry run runs this very code inside the collector's rolled-back transaction, so
   * the cap loop sees usage drop exactly as in a real run; only the event (and audit) is left out.
   */
  *pass(opts: { dryRun: boolean; now: number }): Generator<void, number> {
    let evicted = 0;
    for (const proxy of this.projects.list()) {
      // A detached project's cache is kept whole until an admin deletes the project (config/ownership.ts).
      if (proxy.detached || (!proxy.ttlSeconds && !proxy.cacheMaxBytes)) continue;
      let entries = this.meta.proxyCache.entries(proxy.project);
      if (proxy.ttlSeconds) {
        const cutoff = opts.now - proxy.ttlSeconds * 1000;
        for (const e of entries.filter((x) => x.usedAt < cutoff)) {
          if (this.evict(proxy.project, e, 'ttl', opts.dryRun)) evicted += 1;
          yield;
        }
        entries = entries.filter((e) => e.usedAt >= cutoff);
      }
      if (proxy.cacheMaxBytes) {
        for (const e of entries) {
          if (this.meta.proxyCache.usage(proxy.project) <= proxy.cacheMaxBytes) break;
          if (this.evict(proxy.project, e, 'cap', opts.dryRun)) evicted += 1;
          yield;
        }
      }
    }
    return evicted;
  }

  private evict(project: string, e: CacheEntry, reason: 'cap' | 'ttl', dryRun: boolean): boolean {
    try {
      if (dryRun) {
        // What the registry service's delete writes, without its event (the transaction is rolled back).
        if (!this.meta.manifests.delete(e.repoId, e.digest)) return false;
      } else {
        this.registry.manifests.delete(e.repository, e.digest, { username: undefined });
      }
    } catch (err) {
      // Deleted meanwhile (an earlier eviction of its index took it, or an admin did): nothing to do.
      if (isDomainError(err) && err.code === 'MANIFEST_UNKNOWN') return false;
      throw err;
    }
    this.meta.proxyCache.dropUnusedLinks(e.repoId);
    if (!dryRun) this.events.emit('proxy.evicted', { project, repository: e.repository, digest: e.digest, reason });
    return true;
  }
}
