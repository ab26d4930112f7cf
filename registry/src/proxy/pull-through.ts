import type { Readable } from 'node:stream';
import type { Logger } from '../logger.js';
import type { EventBus } from '../events/event-bus.js';
import type { Registry, Actor } from '../registry/index.js';
import type { FetchedManifest } from '../registry/manifest-service.js';
import type { Page } from '../registry/content-service.js';
import type { StoragePaths } from '../store/paths.js';
import type { ByteRange } from '../store/blob-store.js';
import type { ByteSink } from '../store/send-file.js';
import { DomainError, isDomainError } from '../errors.js';
import { looksLikeDigest, parseDigest } from '../oci/digest.js';
import { assertTag } from '../oci/reference.js';
import { UpstreamError, isUpstreamError } from '../upstream/errors.js';
import { upstreamRepository } from '../upstream/endpoint.js';
import type { RemoteRegistryService } from '../upstream/remote-registries.js';
import { InFlight } from './inflight.js';
import { BlobFiller } from './blob-fill.js';
import { UpstreamGate } from './upstreams.js';
import type { ProxyMetrics } from './proxy-metrics.js';
import type { ProxyProject, ProxyProjectService } from './proxy-projects.js';

export interface ProxyBlob {
  size: number | undefined;
  /** Bytes of the blob (or of `range`), from the cache or following an upstream fill. */
  open(range?: ByteRange): Readable;
  /** Whether the answer came from the cache. */
  cached: boolean;
  /** Cached blobs: the registry's fast path that writes the file straight to the response. */
  send?: (range: ByteRange | undefined, sink: ByteSink) => Promise<void>;
}

type Target = { proxy: ProxyProject; path: string };

/**
 * The pull-through cache: reads of a proxy project are answered from the local registry when it has the
 * content and filled from the project's upstream when it does not. Writes never get here (http refuses
 * them). Pull by digest of cached content never contacts the upstream; a cached tag is revalidated with one
 * HEAD at most once per manifestMaxAge, and served as it is when the upstream times out, fails, is marked
 * down, is offline or (optionally) says 404.
 */
export class PullThroughCache {
  readonly gate: UpstreamGate;
  readonly blobs: BlobFiller;
  private readonly manifestFills = new InFlight<string>();
  private readonly revalidations = new InFlight<void>();
  /** When each cached tag was last confirmed upstream (memory only: a restart costs one HEAD per tag). */
  private readonly checkedAt = new Map<string, number>();

  constructor(
    private readonly registry: Registry,
    readonly projects: ProxyProjectService,
    remotes: RemoteRegistryService,
    paths: StoragePaths,
    private readonly events: EventBus,
    private readonly log: Logger,
    private readonly metrics: ProxyMetrics | undefined,
  ) {
    this.gate = new UpstreamGate(remotes, events, log, metrics);
    this.blobs = new BlobFiller(registry, paths, this.gate, events, log, metrics);
    projects.onChange((project) => {
      for (const k of this.checkedAt.keys()) if (k.startsWith(`${project}/`)) this.checkedAt.delete(k);
    });
  }

  /**
   * Mirror routing: the repository name a mirror-style request means. With `ns` (containerd), the proxy
   * project mirroring that registry; without (dockerd registry-mirrors), the docker.io mirror, unless a local
   * repository of that name exists (local content wins) or the name is already in a proxy project.
   */
  mirrorName(name: string, ns: string | undefined): string {
    if (this.projects.forRepository(name)) return name;
    if (ns !== undefined) {
      const p = this.projects.mirrorFor(ns);
      return p ? `${p.project}/${name}` : name;
    }
    const hub = this.projects.mirrorFor('docker.io');
    if (!hub || this.registry.ctx.meta.repositories.get(name)) return name;
    return `${hub.project}/${name}`;
  }

  /**
   * Every name a mirror-routed request for `name` may be rewritten to. The token endpoint grants scopes on
   * these too, so a client that asked for a token on the name it knows (dockerd, containerd) may read the
   * proxy project it is routed to, as far as the access policy allows that project.
   */
  mirrorAliases(name: string): string[] {
    if (this.projects.forRepository(name)) return [];
    return this.projects
      .list()
      .filter((p) => p.mirrorFor && p.mirrorFor.length > 0)
      .map((p) => `${p.project}/${name}`);
  }

  /** Counts blob bytes sent to clients from a proxy project. */
  served(project: string, bytes: number): void {
    this.metrics?.servedBytes.inc({ project }, bytes);
  }

  /** The proxy project of a repository, if it is in one. */
  target(repository: string): Target | undefined {
    return this.projects.forRepository(repository);
  }

  /** A repository of a detached proxy project: served from what is stored, never written (config/ownership.ts). */
  detached(repository: string): ProxyProject | undefined {
    return this.projects.detachedFor(repository);
  }

  async manifest(t: Target, repository: string, reference: string, actor: Actor): Promise<FetchedManifest> {
    const { proxy } = t;
    const local = this.local(repository, reference);
    if (looksLikeDigest(reference)) {
      if (local) {
        this.metrics?.hits.inc({ project: proxy.project, kind: 'manifest' });
        return this.registry.manifests.get(repository, reference, actor);
      }
      this.metrics?.misses.inc({ project: proxy.project, kind: 'manifest' });
      await this.fillManifest(t, repository, reference, undefined).catch((e: unknown) => {
        throw this.clientError(e, repository, reference);
      });
      return this.registry.manifests.get(repository, reference, actor);
    }
    assertTag(reference);
    const key = `${repository}:${reference}`;
    if (local) {
      if (this.gate.isOffline(proxy.registry)) return this.stale(proxy, repository, reference, actor, 'offline');
      const checked = this.checkedAt.get(key);
      if (checked !== undefined && Date.now() - checked < proxy.manifestMaxAgeSeconds * 1000) {
        this.metrics?.hits.inc({ project: proxy.project, kind: 'manifest' });
        return this.registry.manifests.get(repository, reference, actor);
      }
    }
    try {
      await this.revalidations.run(key, () => this.revalidate(t, repository, reference, local?.digest));
    } catch (e) {
      if (local && isUpstreamError(e)) {
        if (e.kind === 'not_found' && !proxy.serveStaleOn404) throw this.clientError(e, repository, reference);
        return this.stale(proxy, repository, reference, actor, e.kind === 'not_found' ? 'upstream_404' : e.kind);
      }
      throw this.clientError(e, repository, reference);
    }
    return this.registry.manifests.get(repository, reference, actor);
  }

  async blob(t: Target, repository: string, digestStr: string, head: boolean): Promise<ProxyBlob> {
    const digest = parseDigest(digestStr);
    const project = t.proxy.project;
    const cached = this.cachedBlob(repository, digestStr) ?? this.linkCached(repository, digestStr);
    if (cached) {
      this.metrics?.hits.inc({ project, kind: 'blob' });
      return cached;
    }
    this.metrics?.misses.inc({ project, kind: 'blob' });
    const upstreamRepo = upstreamRepository(t.path, this.gate.client(t.proxy.registry).type);
    try {
      if (head) {
        const size = await this.gate.call(t.proxy.registry, (c) => c.headBlob(upstreamRepo, digest.value, { retries: 0 }));
        if (size === undefined) throw new DomainError('BLOB_UNKNOWN', `blob ${digest.value} is not in ${repository} upstream`);
        return { size: size >= 0 ? size : undefined, cached: false, open: () => { throw new Error('HEAD has no body'); } };
      }
      const fill = await this.blobs.fill(t.proxy.registry, repository, upstreamRepo, digest);
      return {
        size: fill.size,
        cached: false,
        // Committed meanwhile (the staging file was renamed): read the blob like any cached one.
        open: (range) =>
          fill.file.state === 'complete' ? this.registry.blobs.open({ digest, size: fill.file.written }, range) : fill.file.follow(range?.start ?? 0, range?.end),
      };
    } catch (e) {
      throw this.clientError(e, repository, digest.value, 'blob');
    }
  }

  /** Tags from the upstream when it answers, else the cached ones. */
  async tags(t: Target, repository: string, n: number | undefined, last: string | undefined): Promise<Page<string>> {
    const upstreamRepo = upstreamRepository(t.path, this.gate.client(t.proxy.registry).type);
    try {
      const page = await this.gate.call(t.proxy.registry, (c) => c.tags(upstreamRepo, { ...(n !== undefined ? { n } : {}), ...(last ? { last } : {}) }, { retries: 0 }));
      return { items: page.items, next: page.next };
    } catch (e) {
      if (isUpstreamError(e) && e.kind === 'not_found') throw new DomainError('NAME_UNKNOWN', `${repository} is not known upstream`);
      return this.registry.content.tags(repository, n, last);
    }
  }

  private async revalidate(t: Target, repository: string, tag: string, localDigest: string | undefined): Promise<void> {
    const { proxy } = t;
    const upstreamRepo = upstreamRepository(t.path, this.gate.client(proxy.registry).type);
    let digest: string | undefined;
    if (localDigest !== undefined) {
      // Freshness check with HEAD: Docker Hub does not count HEADs against the pull rate limit.
      const head = await this.gate.call(proxy.registry, (c) => c.headManifest(upstreamRepo, tag, { retries: 0 }));
      if (!head) throw notFound(`${upstreamRepo}:${tag}`);
      digest = head.digest;
      if (digest === localDigest) {
        this.checkedAt.set(`${repository}:${tag}`, Date.now());
        this.metrics?.hits.inc({ project: proxy.project, kind: 'manifest' });
        return;
      }
    }
    this.metrics?.misses.inc({ project: proxy.project, kind: 'manifest' });
    if (digest && this.local(repository, digest)) {
      // Content already cached (pulled by digest before): only the tag moves.
      const { bytes, row } = await this.registry.manifests.get(repository, digest, { username: undefined });
      await this.registry.cacheFill.putManifest(repository, tag, bytes, row.mediaType, { username: undefined });
    } else {
      await this.fillManifest(t, repository, digest ?? tag, tag);
    }
    this.checkedAt.set(`${repository}:${tag}`, Date.now());
  }

  /** GETs a manifest (by digest when known: one fetch per digest however many tags and clients want it). */
  private fillManifest(t: Target, repository: string, reference: string, tag: string | undefined): Promise<string> {
    const { proxy } = t;
    const upstreamRepo = upstreamRepository(t.path, this.gate.client(proxy.registry).type);
    return this.manifestFills.run(`${repository}@${reference}\u0000${tag ?? ''}`, async () => {
      const m = await this.gate.call(proxy.registry, (c) => c.getManifest(upstreamRepo, reference));
      if (tag !== undefined) assertTag(tag);
      try {
        await this.registry.cacheFill.putManifest(repository, tag ?? m.digest, m.bytes, m.mediaType, { username: undefined });
      } catch (e) {
        // The upstream sent something that is not a manifest we accept: nothing is stored.
        if (isDomainError(e) && (e.code === 'MANIFEST_INVALID' || e.code === 'MANIFEST_TOO_LARGE' || e.code === 'DIGEST_INVALID')) {
          this.gate.report(proxy.registry, new Error(e.message));
          throw new DomainError('UPSTREAM_UNAVAILABLE', `${proxy.registry} sent an invalid manifest for ${upstreamRepo}:${reference}: ${e.message}`);
        }
        throw e;
      }
      this.events.emit('proxy.cached', { repository, registry: proxy.registry, kind: 'manifest', digest: m.digest, reference: tag, size: m.bytes.length });
      return m.digest;
    });
  }

  private stale(proxy: ProxyProject, repository: string, reference: string, actor: Actor, reason: string): Promise<FetchedManifest> {
    this.metrics?.staleServed.inc({ project: proxy.project, reason });
    this.log.debug({ repository, reference, reason }, 'serving cached manifest without revalidation');
    return this.registry.manifests.get(repository, reference, actor);
  }

  private local(repository: string, reference: string): { digest: string } | undefined {
    try {
      return { digest: this.registry.manifests.resolve(repository, reference).row.digest };
    } catch (e) {
      if (isDomainError(e) && (e.code === 'MANIFEST_UNKNOWN' || e.code === 'NAME_UNKNOWN')) return undefined;
      throw e;
    }
  }

  private cachedBlob(repository: string, digest: string): ProxyBlob | undefined {
    try {
      const info = this.registry.blobs.stat(repository, digest);
      return { size: info.size, cached: true, open: (range) => this.registry.blobs.open(info, range), send: (range, sink) => this.registry.blobs.send(info, range, sink) };
    } catch (e) {
      if (isDomainError(e) && e.code === 'BLOB_UNKNOWN') return undefined;
      throw e;
    }
  }

  private linkCached(repository: string, digest: string): ProxyBlob | undefined {
    if (this.registry.cacheFill.linkCached(repository, digest) === undefined) return undefined;
    return this.cachedBlob(repository, digest);
  }

  /** Maps an upstream failure to what the client hears. */
  private clientError(e: unknown, repository: string, reference: string, kind: 'manifest' | 'blob' = 'manifest'): unknown {
    if (!isUpstreamError(e)) return e;
    const u: UpstreamError = e;
    const detail = { upstream: u.message };
    switch (u.kind) {
      case 'not_found':
        return kind === 'blob'
          ? new DomainError('BLOB_UNKNOWN', `${reference} is not in ${repository} upstream`, detail)
          : new DomainError('MANIFEST_UNKNOWN', `${reference} is not in ${repository} (upstream says 404)`, detail);
      case 'unauthorized':
      case 'denied':
        return new DomainError('DENIED', `the upstream of ${repository} refused access; check the registry's username and secret`, detail);
      case 'unavailable':
        return new DomainError('UPSTREAM_UNAVAILABLE', `${reference} is not cached in ${repository} and the upstream is unavailable`, detail, u.retryAfterSeconds !== undefined ? { 'Retry-After': String(u.retryAfterSeconds) } : {});
      case 'invalid':
        return new DomainError('UPSTREAM_UNAVAILABLE', `the upstream of ${repository} sent invalid content for ${reference}; nothing was stored`, detail);
    }
  }

}

function notFound(what: string): UpstreamError {
  return new UpstreamError('not_found', `${what} is not in the upstream`, 404);
}
