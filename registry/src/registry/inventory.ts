import { DomainError } from '../errors.js';
import { parseDigest } from '../oci/digest.js';
import { parseManifest, type Descriptor } from '../oci/manifest.js';
import { isIndexMediaType } from '../oci/media-types.js';
import { assertRepositoryName } from '../oci/reference.js';
import type { ManifestSummary, RepositorySummary, TagRow } from '../meta/inventory.js';
import type { RegistryContext } from './context.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ManifestView extends ManifestSummary {
  tags: string[];
  /** Manifest + the blobs it uses; for an index, the sum over its child manifests. */
  totalBytes: number;
  isIndex: boolean;
  referrerCount: number;
}

export interface ArtifactView extends ManifestView {
  /** Index entries, with platforms. */
  children: { digest: string; mediaType: string; size: number; platform: Platform | null; present: boolean }[];
  /** Image manifest: config and layers. */
  config: { digest: string; mediaType: string; size: number } | null;
  layers: { digest: string; mediaType: string; size: number }[];
  platform: Platform | null;
  /** When the image config says it was built. */
  imageCreated: string | null;
  annotations: Record<string, string>;
  referrers: { digest: string; mediaType: string; artifactType: string | null; size: number; createdAt: number }[];
  /** Indexes in this repository that list this manifest. */
  parents: string[];
}

export interface RepositoryView extends RepositorySummary {
  tags: TagRow[];
  manifests: ManifestView[];
}

/** Largest image config read to show its platform; configs are small JSON, anything bigger is skipped. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * What is in the registry, for people: repositories with counts and sizes, artifacts with platforms, layers
 * and referrers. Read-only; it never records a pull.
 */
export class Inventory {
  constructor(private readonly ctx: RegistryContext) {}

  list(filter: string, limit: number, offset: number): { items: RepositorySummary[]; total: number } {
    return this.ctx.meta.inventory.repositories(filter, limit, offset);
  }

  repository(name: string, manifestLimit = 500): RepositoryView {
    assertRepositoryName(name);
    const q = this.ctx.meta.inventory;
    const summary = q.repository(name);
    if (!summary) throw new DomainError('NAME_UNKNOWN', `repository ${name} is not known to this registry`);
    const tags = q.tags(name);
    const tagsByDigest = groupTags(tags);
    const manifests = q.manifests(name, manifestLimit).map((m) => this.view(name, m, tagsByDigest.get(m.digest) ?? []));
    return { ...summary, tags, manifests };
  }

  async artifact(name: string, digestStr: string): Promise<ArtifactView> {
    assertRepositoryName(name);
    const digest = parseDigest(digestStr).value;
    const q = this.ctx.meta.inventory;
    const row = q.manifest(name, digest);
    if (!row) throw new DomainError('MANIFEST_UNKNOWN', `manifest ${digest} is not in ${name}`);
    const tags = q.tags(name).filter((t) => t.digest === digest).map((t) => t.name);
    const base = this.view(name, row, tags);
    const bytes = await this.ctx.store.readSmall(parseDigest(digest));
    const parsed = parseManifest(bytes, row.mediaType);
    const stored = new Map(q.blobs(name, digest).map((b) => [b.digest, b.size]));
    const layers = parsed.blobs.filter((b) => b.digest !== parsed.config?.digest).map(describe);
    let platform: Platform | null = null;
    let imageCreated: string | null = null;
    if (parsed.config && stored.has(parsed.config.digest) && parsed.config.size <= MAX_CONFIG_BYTES) {
      const cfg = await this.readConfig(parsed.config.digest);
      platform = cfg.platform;
      imageCreated = cfg.created;
    }
    const repo = this.ctx.repository(name);
    return {
      ...base,
      children: parsed.manifests.map((m) => ({
        digest: m.digest,
        mediaType: m.mediaType,
        size: m.size,
        platform: m.platform ? { os: m.platform.os, architecture: m.platform.architecture, ...(m.platform.variant ? { variant: m.platform.variant } : {}) } : null,
        present: q.manifest(name, m.digest) !== undefined,
      })),
      config: parsed.config ? describe(parsed.config) : null,
      layers,
      platform,
      imageCreated,
      annotations: parsed.annotations ?? {},
      referrers: this.ctx.meta.manifests.referrers(repo.id, digest).map((r) => ({
        digest: r.digest,
        mediaType: r.mediaType,
        artifactType: r.artifactType,
        size: r.size,
        createdAt: r.createdAt,
      })),
      parents: q.parents(name, digest),
    };
  }

  private view(name: string, m: ManifestSummary, tags: string[]): ManifestView {
    const q = this.ctx.meta.inventory;
    const isIndex = isIndexMediaType(m.mediaType);
    let totalBytes = m.size + m.blobBytes;
    if (isIndex) {
      for (const child of q.children(name, m.digest)) {
        const c = q.manifest(name, child);
        if (c) totalBytes += c.size + c.blobBytes;
      }
    }
    const repo = this.ctx.meta.repositories.get(name);
    const referrerCount = repo ? this.ctx.meta.manifests.referrers(repo.id, m.digest).length : 0;
    return { ...m, tags, totalBytes, isIndex, referrerCount };
  }

  private async readConfig(digest: string): Promise<{ platform: Platform | null; created: string | null }> {
    try {
      const json = JSON.parse((await this.ctx.store.readSmall(parseDigest(digest))).toString('utf8')) as Record<string, unknown>;
      const os = typeof json.os === 'string' ? json.os : undefined;
      const architecture = typeof json.architecture === 'string' ? json.architecture : undefined;
      const variant = typeof json.variant === 'string' ? json.variant : undefined;
      return {
        platform: os && architecture ? { os, architecture, ...(variant ? { variant } : {}) } : null,
        created: typeof json.created === 'string' ? json.created : null,
      };
    } catch {
      // Not JSON (an artifact's config can be anything): no platform to show.
      return { platform: null, created: null };
    }
  }
}

function describe(d: Descriptor): { digest: string; mediaType: string; size: number } {
  return { digest: d.digest, mediaType: d.mediaType, size: d.size };
}

function groupTags(tags: TagRow[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const t of tags) {
    const list = m.get(t.digest);
    if (list) list.push(t.name);
    else m.set(t.digest, [t.name]);
  }
  return m;
}
