import { DomainError } from '../errors.js';
import type { Meta } from '../meta/index.js';
import type { ProjectQuotaRow } from '../meta/quotas.js';
import type { EventBus } from '../events/event-bus.js';
import type { Actor, ContentGuard } from '../registry/context.js';
import { PolicyError } from './errors.js';
import { projectOf } from './patterns.js';
import { requireProject } from './projects.js';

export type ProjectQuota = ProjectQuotaRow;

/** Largest limit accepted: 1 PiB (far beyond any edge site, well inside a double's exact integers). */
export const MAX_QUOTA_BYTES = 2 ** 50;

/**
 * Project storage quotas. Usage is the size of every distinct blob and manifest the project's repositories
 * hold; the database keeps it per project in the same transaction as each link and unlink (meta/quotas.ts),
 * so pushes, mounts, imports and replication into this Berth read it with one lookup, and GC, deletes and
 * restarts leave it right. A change that would take the project past its limit is refused with DENIED.
 * Proxy cache fills are not counted against a limit (a cache's size is its cache cap's business).
 */
export class QuotaService {
  constructor(
    private readonly meta: Meta,
    private readonly events: EventBus,
  ) {}

  get(project: string): ProjectQuota {
    requireProject(this.meta.repositories, project);
    return this.meta.quotas.get(project);
  }

  list(): ProjectQuota[] {
    return this.meta.quotas.list();
  }

  set(project: string, limitBytes: number | null, actor: Actor): ProjectQuota {
    requireProject(this.meta.repositories, project, { localOnly: "a proxy cache is bounded by its own cache cap (cacheMaxBytes)" });
    if (limitBytes !== null && (!Number.isSafeInteger(limitBytes) || limitBytes < 0 || limitBytes > MAX_QUOTA_BYTES)) {
      throw new PolicyError('invalid', `limitBytes must be a whole number of bytes from 0 to ${MAX_QUOTA_BYTES}, or null for no limit`);
    }
    this.meta.quotas.setLimit(project, limitBytes);
    this.events.emit('policy.changed', { project, policy: 'quota', change: limitBytes === null ? 'no storage limit' : `storage limit ${formatBytes(limitBytes)}`, actor: actor.username });
    return this.meta.quotas.get(project);
  }

  /** Rebuilds every project's usage from the content tables; returns the projects whose figure changed. */
  recompute(): { project: string; before: number; after: number }[] {
    return this.meta.quotas.recompute();
  }

  /**
   * Registry content guard: refuses content that would take its project over the limit. For an upload whose
   * digest is not known yet, only when no content the project holds is that large: then the finished blob
   * cannot be a re-push that costs nothing, and the refusal at its end is certain.
   */
  readonly guard: ContentGuard = ({ repository, digest, size, cacheFill }) => {
    if (cacheFill) return;
    const project = projectOf(repository);
    const q = this.meta.quotas.get(project);
    if (q.limitBytes === null || q.usedBytes + size <= q.limitBytes) return;
    // Content the project already holds (another repository's layer, a re-push) costs nothing more.
    if (digest !== undefined ? this.meta.quotas.holds(project, digest) : this.meta.quotas.holdsAtLeast(project, size)) return;
    const what = digest !== undefined ? `${digest} (${formatBytes(size)})` : `an upload of at least ${formatBytes(size)}`;
    throw new DomainError(
      'DENIED',
      `quota of project ${project} exceeded: used ${formatBytes(q.usedBytes)} of ${formatBytes(q.limitBytes)}; ${what} does not fit`,
      { project, usedBytes: q.usedBytes, limitBytes: q.limitBytes, sizeBytes: size },
    );
  };
}

/** Bytes for people: exact below 1 KiB, else two decimals of the largest binary unit. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${v.toFixed(2)} ${units[u]}`;
}
