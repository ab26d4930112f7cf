import { isDomainError } from '../errors.js';
import type { Registry } from '../registry/index.js';
import type { Actor } from '../registry/context.js';
import type { RetentionPlan } from './retention-planner.js';

export interface RetentionOutcome {
  tagsRemoved: number;
  manifestsRemoved: number;
  /** What went wrong, one line per item (the run goes on with the next). */
  errors: string[];
  /** What was removed: `repository:tag` and `repository@digest`. */
  removed: string[];
}

const YIELD_EVERY = 50;

/**
 * Carries out a retention plan through the registry service, so every removal fires its event, lands in the
 * audit log and passes the delete guards (an immutable tag is refused even if the plan was made before its
 * rule). Each removal is checked against the registry as it is at that moment: a tag moved since the plan, or
 * a manifest that got a new tag, is left alone (only what the plan showed is ever removed).
 */
export async function executeRetentionPlan(plan: RetentionPlan, registry: Registry, actor: Actor): Promise<RetentionOutcome> {
  const out: RetentionOutcome = { tagsRemoved: 0, manifestsRemoved: 0, errors: [], removed: [] };
  const { meta } = registry.ctx;
  let n = 0;
  const attempt = (label: string, fn: () => void): boolean => {
    try {
      fn();
      return true;
    } catch (e) {
      // Gone already (a client deleted it meanwhile): the plan's intent holds.
      if (isDomainError(e) && (e.code === 'MANIFEST_UNKNOWN' || e.code === 'NAME_UNKNOWN')) return false;
      out.errors.push(`${label}: ${(e as Error).message}`);
      return false;
    }
  };
  for (const repo of plan.repositories) {
    const row = meta.repositories.get(repo.repository);
    if (!row) continue;
    for (const t of repo.removeTags) {
      if (++n % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
      if (meta.manifests.tagDigest(row.id, t.tag) !== t.digest) continue;
      if (attempt(`${repo.repository}:${t.tag}`, () => registry.manifests.delete(repo.repository, t.tag, actor))) {
        out.tagsRemoved += 1;
        out.removed.push(`${repo.repository}:${t.tag}`);
      }
    }
    for (const m of repo.removeManifests) {
      if (++n % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
      if (!meta.manifests.get(row.id, m.digest)) continue;
      const now = meta.manifests.tagsOf(row.id, m.digest);
      if (now.some((t) => !m.tags.includes(t))) {
        // Tagged anew since the plan: only the planned tags go, the manifest stays.
        for (const tag of now.filter((t) => m.tags.includes(t))) {
          if (attempt(`${repo.repository}:${tag}`, () => registry.manifests.delete(repo.repository, tag, actor))) {
            out.tagsRemoved += 1;
            out.removed.push(`${repo.repository}:${tag}`);
          }
        }
        continue;
      }
      if (attempt(`${repo.repository}@${m.digest}`, () => registry.manifests.delete(repo.repository, m.digest, actor))) {
        out.manifestsRemoved += 1;
        out.tagsRemoved += now.length;
        for (const tag of now) out.removed.push(`${repo.repository}:${tag}`);
        out.removed.push(`${repo.repository}@${m.digest}`);
      }
    }
  }
  return out;
}
