import type { Meta } from '../meta/index.js';
import type { CacheEntry } from '../meta/remotes.js';
import type { Registry } from '../registry/index.js';
import type { EventBus } from '../events/event-bus.js';
import { isRegistryError } from '../oci/errors.js';
import type { ProxyProjectService } from './proxy-projects.js';

/**
 * Cache cap and TTL of proxy projects, run by the garbage collector before it collects: cached manifests not
 * pulled for `ttlSeconds` go, then the least recently pulled ones until the project holds at most
 * `cacheMaxBytes`. Last-pulled times come from the batched PullRecorder (flushed first), so pulls never pay a
 * write for this. Eviction removes manifests through the registry service and unlinks blobs no remaining
 * manifest of the repository uses; the collector frees their files once the GC grace period has passed.
 * An evicted image is simply fetched again on its next pull. It runs in Core (the offline `berth gc` too), so
 * it only emits `proxy.evicted`; the server, which owns the metrics, counts those events.
 */
export class CacheEvictor {
  constructor(
    private readonly registry: Registry,
    private readonly meta: Meta,
    private readonly projects: ProxyProjectService,
    private readonly events: EventBus,
  ) {}

  async sweep(opts: { dryRun: boolean; now: number }): Promise<number> {
    this.registry.flush();
    let evicted = 0;
    for (const proxy of this.projects.list()) {
      // A detached project's cache is kept whole until an admin deletes the project (config/ownership.ts).
      if (proxy.detached || (!proxy.ttlSeconds && !proxy.cacheMaxBytes)) continue;
      let entries = this.meta.proxyCache.entries(proxy.project);
      if (proxy.ttlSeconds) {
        const cutoff = opts.now - proxy.ttlSeconds * 1000;
        const expired = entries.filter((e) => e.usedAt < cutoff);
        for (const e of expired) if (this.evict(proxy.project, e, 'ttl', opts.dryRun)) evicted += 1;
        entries = entries.filter((e) => e.usedAt >= cutoff);
      }
      if (proxy.cacheMaxBytes && !opts.dryRun) {
        for (const e of entries) {
          if (this.meta.proxyCache.usage(proxy.project) <= proxy.cacheMaxBytes) break;
          if (this.evict(proxy.project, e, 'cap', false)) evicted += 1;
          await new Promise((r) => setImmediate(r));
        }
      }
    }
    return evicted;
  }

  private evict(project: string, e: CacheEntry, reason: 'cap' | 'ttl', dryRun: boolean): boolean {
    if (dryRun) return true;
    try {
      this.registry.manifests.delete(e.repository, e.digest, { username: undefined });
    } catch (err) {
      // Deleted meanwhile (an earlier eviction of its index took it, or an admin did): nothing to do.
      if (isRegistryError(err) && err.code === 'MANIFEST_UNKNOWN') return false;
      throw err;
    }
    this.meta.proxyCache.dropUnusedLinks(e.repoId);
    this.events.emit('proxy.evicted', { project, repository: e.repository, digest: e.digest, reason });
    return true;
  }
}
