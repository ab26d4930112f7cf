import type { ReplicationRule } from '../config/replication.js';
import { isDomainError } from '../errors.js';
import type { DestinationSide, ManifestRef, SourceSide } from './sides.js';
import { destinationName, latestTags, repositorySelector, tagFilter } from './selection.js';
import { mapLimit } from './retry.js';

/*
 * Planning: what a run would do, as plain data (logged, shown by `berth replicate --dry-run` and the admin
 * API's preview, asserted by tests). Compares by digest: a tag whose digest is already at the destination
 * is `skip`; only referrers are still checked for it when the copy runs.
 */

export type PlanAction = 'copy' | 'skip' | 'conflict';

export interface PlanItem {
  source: { repository: string; tag: string };
  destination: { repository: string; tag: string };
  digest: string;
  mediaType: string;
  action: PlanAction;
  reason: string;
}

export interface PlanDeletion {
  repository: string;
  tag: string;
  digest: string;
}

/** A deletion the rule wanted but left alone: the manifest still carries a tag the rule must not touch. */
export interface PlanKept extends PlanDeletion {
  reason: string;
}

export interface Plan {
  rule: string;
  direction: 'pull' | 'push';
  registry: string;
  createdAt: number;
  repositories: string[];
  items: PlanItem[];
  deletions: PlanDeletion[];
  /** Deletions not done (deleteRemoved), each with why. */
  kept: PlanKept[];
  /** Things the rule asked for that could not be looked at (no catalog, missing repository). */
  warnings: string[];
}

export interface PlanScope {
  /** Only these source repositories (an onPush trigger names the one pushed to). */
  repositories?: string[];
}

const LOOKUPS = 8;

export async function planRun(rule: ReplicationRule, source: SourceSide, dest: DestinationSide, scope: PlanScope = {}): Promise<Plan> {
  const plan: Plan = { rule: rule.name, direction: rule.direction, registry: rule.registry, createdAt: Date.now(), repositories: [], items: [], deletions: [], kept: [], warnings: [] };
  const select = repositorySelector(rule.repositories);
  let names = new Set(select.explicit.filter((n) => select.matches(n)));
  if (select.needsCatalog) {
    const catalog = await source.catalog();
    if (catalog === undefined) plan.warnings.push(`${source.label} has no catalog for us: only the explicit repository names were looked at`);
    for (const n of catalog ?? []) if (select.matches(n)) names.add(n);
  }
  if (scope.repositories) names = new Set(scope.repositories.filter((n) => select.matches(n)));
  plan.repositories = [...names].sort();
  const wanted = tagFilter(rule);

  const perRepo = await mapLimit(plan.repositories, 2, async (repo) => {
    const tags = await source.tags(repo);
    if (tags === undefined) {
      plan.warnings.push(`${source.label} has no repository ${repo}`);
      return { items: [] as PlanItem[], deletions: [] as PlanDeletion[], kept: [] as PlanKept[] };
    }
    const candidates = tags.filter(wanted);
    const heads = await mapLimit(candidates, LOOKUPS, (tag) => source.head(repo, tag));
    let found: { tag: string; ref: ManifestRef }[] = [];
    heads.forEach((h, i) => {
      if (h.status === 'rejected') throw h.reason;
      if (h.value) found.push({ tag: candidates[i]!, ref: h.value });
    });
    if (rule.latestN !== undefined && found.length > rule.latestN) {
      const times = await source.tagTimes(repo, found);
      const keep = new Set(latestTags(found.map((f) => f.tag), rule.latestN, (t) => times.get(t)));
      found = found.filter((f) => keep.has(f.tag));
    }
    const destRepo = destinationName(repo, rule);
    const destHeads = await mapLimit(found, LOOKUPS, (f) => dest.head(destRepo, f.tag).catch(destMiss));
    const items = found.map((f, i): PlanItem => {
      const d = destHeads[i]!;
      if (d.status === 'rejected') throw d.reason;
      const base = { source: { repository: repo, tag: f.tag }, destination: { repository: destRepo, tag: f.tag }, digest: f.ref.digest, mediaType: f.ref.mediaType };
      if (!d.value) return { ...base, action: 'copy', reason: 'not at the destination' };
      if (d.value.digest === f.ref.digest) return { ...base, action: 'skip', reason: 'up to date' };
      if (rule.override) return { ...base, action: 'copy', reason: `destination tag has ${d.value.digest}` };
      return { ...base, action: 'conflict', reason: `destination tag has ${d.value.digest} and override is off` };
    });
    const { deletions, kept } = rule.deleteRemoved ? await planDeletions(dest, destRepo, found, wanted) : { deletions: [], kept: [] };
    return { items, deletions, kept };
  });
  for (const r of perRepo) {
    if (r.status === 'rejected') throw r.reason;
    plan.items.push(...r.value.items);
    plan.deletions.push(...r.value.deletions);
    plan.kept.push(...r.value.kept);
  }
  return plan;
}

/**
 * deleteRemoved: the destination tags the rule selects but no longer finds at the source. A remote registry
 * can only delete a manifest, which takes every tag on it along, so each destination tag is looked up and a
 * manifest is deleted only when every tag on it is one this deletion removes. Otherwise it stays, with the tag
 * that keeps it named: a tag outside the rule (headquarters' own) or one the rule still copies.
 */
async function planDeletions(dest: DestinationSide, repo: string, found: { tag: string }[], wanted: (tag: string) => boolean): Promise<{ deletions: PlanDeletion[]; kept: PlanKept[] }> {
  const keepTags = new Set(found.map((f) => f.tag));
  const destTags = (await dest.tags(repo)) ?? [];
  const heads = await mapLimit(destTags, LOOKUPS, (tag) => dest.head(repo, tag));
  const tagsOn = new Map<string, string[]>();
  heads.forEach((h, i) => {
    if (h.status === 'rejected') throw h.reason;
    if (h.value) tagsOn.set(h.value.digest, [...(tagsOn.get(h.value.digest) ?? []), destTags[i]!]);
  });
  const deletions: PlanDeletion[] = [];
  const kept: PlanKept[] = [];
  const removed = (tag: string) => wanted(tag) && !keepTags.has(tag);
  for (const [digest, tags] of tagsOn) {
    const gone = tags.filter(removed);
    if (gone.length === 0) continue;
    const holder = tags.find((t) => !removed(t));
    if (holder !== undefined) {
      for (const tag of gone) kept.push({ repository: repo, tag, digest, reason: `kept: tag ${holder} still uses it` });
      continue;
    }
    // One deletion per manifest: the other tags on it go with the first (the copier treats them as done).
    for (const tag of gone) deletions.push({ repository: repo, tag, digest });
  }
  return { deletions, kept };
}

/** A destination that refuses the name (invalid for it) counts as not having it; the copy reports why. */
function destMiss(e: unknown): undefined {
  if (isDomainError(e) && e.code === 'NAME_INVALID') return undefined;
  throw e;
}

/** The plan as lines for a terminal or a log. */
export function formatPlan(plan: Plan): string {
  const lines = [`rule ${plan.rule} (${plan.direction} ${plan.direction === 'pull' ? 'from' : 'to'} ${plan.registry}): ${plan.repositories.length} repositories, ${plan.items.length} tags`];
  for (const w of plan.warnings) lines.push(`  warning: ${w}`);
  for (const i of plan.items) {
    lines.push(`  ${i.action.padEnd(8)} ${i.source.repository}:${i.source.tag} -> ${i.destination.repository}:${i.destination.tag} ${i.digest.slice(0, 19)} (${i.reason})`);
  }
  for (const d of plan.deletions) lines.push(`  delete   ${d.repository}:${d.tag} ${d.digest.slice(0, 19)}`);
  for (const k of plan.kept) lines.push(`  keep     ${k.repository}:${k.tag} ${k.digest.slice(0, 19)} (${k.reason})`);
  return lines.join('\n');
}
