import { DomainError } from '../errors.js';
import { parseDigest } from '../oci/digest.js';
import { assertRepositoryName } from '../oci/reference.js';
import { MediaTypes } from '../oci/media-types.js';
import type { RegistryContext } from './context.js';

export interface Page<T> {
  items: T[];
  /** Set when more items follow: pass as `last` for the next page. */
  next: string | undefined;
}

export interface ReferrersIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: { mediaType: string; digest: string; size: number; artifactType?: string; annotations?: Record<string, string> }[];
}

/** Content discovery: tags, catalog, referrers. */
export class ContentService {
  static readonly maxPage = 10_000;

  constructor(private readonly ctx: RegistryContext) {}

  tags(repository: string, n: number | undefined, last: string | undefined): Page<string> {
    const repo = this.ctx.repository(repository);
    return page(n, (limit) => this.ctx.meta.manifests.tags(repo.id, last ?? '', limit));
  }

  catalog(n: number | undefined, last: string | undefined): Page<string> {
    return page(n, (limit) => this.ctx.meta.repositories.catalog(last ?? '', limit));
  }

  referrers(repository: string, digestStr: string, artifactType: string | undefined): ReferrersIndex {
    const digest = parseDigest(digestStr);
    assertRepositoryName(repository);
    const repo = this.ctx.meta.repositories.get(repository);
    const rows = repo ? this.ctx.meta.manifests.referrers(repo.id, digest.value) : [];
    return {
      schemaVersion: 2,
      mediaType: MediaTypes.ociIndex,
      manifests: rows
        .filter((r) => artifactType === undefined || r.artifactType === artifactType)
        .map((r) => ({
          mediaType: r.mediaType,
          digest: r.digest,
          size: r.size,
          ...(r.artifactType ? { artifactType: r.artifactType } : {}),
          ...(r.annotations ? { annotations: r.annotations } : {}),
        })),
    };
  }
}

function page(n: number | undefined, fetch: (limit: number) => string[]): Page<string> {
  if (n !== undefined && (!Number.isInteger(n) || n < 0)) {
    throw new DomainError('PAGINATION_NUMBER_INVALID', 'n must be a non-negative integer');
  }
  if (n === 0) return { items: [], next: undefined };
  const limit = n === undefined ? Number.MAX_SAFE_INTEGER : Math.min(n, ContentService.maxPage);
  const rows = fetch(limit === Number.MAX_SAFE_INTEGER ? -1 : limit + 1);
  if (limit !== Number.MAX_SAFE_INTEGER && rows.length > limit) {
    const items = rows.slice(0, limit);
    return { items, next: items[items.length - 1] };
  }
  return { items: rows, next: undefined };
}
