import type { RepositorySnapshot } from '../meta/retention.js';
import { isReferrersTag, matcher, pathInProject } from './patterns.js';

/*
 * Tag retention as plain data: rules + a snapshot of the project → a plan that says, per repository, which
 * tags are kept (and why), which tags go, and which manifests go with them. No I/O; the executor carries the
 * plan out through the registry service, and the dry run shows it as it is.
 *
 * Semantics (Harbor's, made safe for repositories no rule mentions):
 * - A tag is in scope of a rule when the rule's repository glob matches the repository's path inside the
 *   project and its tag glob matches the tag. Tags in no rule's scope are never touched.
 * - A rule retains, per repository, the `keepLatest` most recently pushed tags in its scope and/or those
 *   pushed or pulled within `keepDays` days. A tag in scope that no rule retains is removed; a tag an
 *   immutability rule protects is always kept.
 * - A manifest whose every tag is removed is removed too (that is what frees storage; GC reclaims the blobs
 *   afterwards), with the index children and referrers (signatures, SBOMs) nothing else keeps. A manifest that
 *   an index still lists keeps existing, only its tags go.
 * - With `untagged`, manifests of matching repositories that have no tag, are not part of an index or attached
 *   to a manifest that stays, and were not pushed or pulled within the rule's `keepDays` are removed too. Anything
 *   younger than an hour is left alone: a client pushing an index uploads its children untagged first.
 */

export const DAY_MS = 86_400_000;
/** Untagged manifests younger than this are never removed (a push may be about to reference or tag them). */
export const UNTAGGED_GRACE_MS = 3_600_000;

export interface RetentionRuleSpec {
  id: number;
  repositories: string;
  tags: string;
  keepLatest: number | null;
  keepDays: number | null;
  untagged: boolean;
}

export interface PlanInput {
  project: string;
  rules: RetentionRuleSpec[];
  repositories: RepositorySnapshot[];
  now: number;
  /** The immutability rule protecting `repository:tag`, if any (policy/immutability.ts). */
  immutable: (repository: string, tag: string) => { id: number } | undefined;
}

export interface PlannedTag {
  tag: string;
  digest: string;
  reason: string;
}

export interface PlannedManifest {
  digest: string;
  /** Its tags, all removed with it. */
  tags: string[];
  reason: string;
}

export interface RepositoryPlan {
  repository: string;
  /** Tags in some rule's scope that stay, with the rule that keeps them. */
  kept: PlannedTag[];
  /** Tags removed on their own (their manifest stays: another tag or an index keeps it). */
  removeTags: PlannedTag[];
  /** Manifests removed (by digest, with their tags), parents before the children and referrers they take along. */
  removeManifests: PlannedManifest[];
}

export interface RetentionPlan {
  project: string;
  createdAt: number;
  repositories: RepositoryPlan[];
  totals: { repositories: number; tagsKept: number; tagsRemoved: number; manifestsRemoved: number };
}

type ManifestFacts = RepositorySnapshot['manifests'][number];

export function planRetention(input: PlanInput): RetentionPlan {
  const repositories: RepositoryPlan[] = [];
  for (const repo of input.repositories) {
    const path = pathInProject(repo.name);
    const rules = input.rules.filter((r) => matcher(r.repositories)(path));
    if (rules.length === 0) continue;
    const plan = planRepository(repo, rules, input);
    if (plan.kept.length || plan.removeTags.length || plan.removeManifests.length) repositories.push(plan);
  }
  const totals = { repositories: repositories.length, tagsKept: 0, tagsRemoved: 0, manifestsRemoved: 0 };
  for (const r of repositories) {
    totals.tagsKept += r.kept.length;
    totals.tagsRemoved += r.removeTags.length + r.removeManifests.reduce((n, m) => n + m.tags.length, 0);
    totals.manifestsRemoved += r.removeManifests.length;
  }
  return { project: input.project, createdAt: input.now, repositories, totals };
}

function planRepository(repo: RepositorySnapshot, rules: RetentionRuleSpec[], input: PlanInput): RepositoryPlan {
  const { now } = input;
  const manifests = new Map(repo.manifests.map((m) => [m.digest, m]));
  const activity = (pushedAt: number, digest: string) => Math.max(pushedAt, manifests.get(digest)?.pulledAt ?? 0);

  // Which rules each tag is in scope of.
  const scope = new Map<string, RetentionRuleSpec[]>();
  for (const t of repo.tags) {
    if (isReferrersTag(t.name)) continue;
    const inScope = rules.filter((r) => matcher(r.tags)(t.name));
    if (inScope.length) scope.set(t.name, inScope);
  }

  // What each rule retains (first reason wins when several rules keep a tag).
  const keepReason = new Map<string, string>();
  for (const rule of rules) {
    const own = repo.tags.filter((t) => scope.get(t.name)?.includes(rule));
    if (rule.keepLatest !== null) {
      const newest = [...own].sort((a, b) => b.pushedAt - a.pushedAt || a.name.localeCompare(b.name)).slice(0, rule.keepLatest);
      for (const t of newest) if (!keepReason.has(t.name)) keepReason.set(t.name, `among the ${rule.keepLatest} most recently pushed (rule #${rule.id})`);
    }
    if (rule.keepDays !== null) {
      const since = now - rule.keepDays * DAY_MS;
      for (const t of own) {
        if (!keepReason.has(t.name) && activity(t.pushedAt, t.digest) >= since) keepReason.set(t.name, `pushed or pulled within ${rule.keepDays} days (rule #${rule.id})`);
      }
    }
  }

  const kept: PlannedTag[] = [];
  const removable = new Map<string, PlannedTag>();
  for (const t of repo.tags) {
    const inScope = scope.get(t.name);
    if (!inScope) continue;
    const immutable = input.immutable(repo.name, t.name);
    if (immutable) kept.push({ tag: t.name, digest: t.digest, reason: `immutable (immutability rule #${immutable.id})` });
    else if (keepReason.has(t.name)) kept.push({ tag: t.name, digest: t.digest, reason: keepReason.get(t.name)! });
    else removable.set(t.name, { tag: t.name, digest: t.digest, reason: `retained by no rule (${inScope.map((r) => `#${r.id}`).join(', ')})` });
  }

  // Manifests that lose every tag, and (with `untagged`) untagged top-level manifests, are candidates.
  const tagsOf = new Map<string, string[]>();
  for (const t of repo.tags) tagsOf.set(t.digest, [...(tagsOf.get(t.digest) ?? []), t.name]);
  const parents = new Map<string, string[]>();
  for (const m of repo.manifests) for (const c of m.children) parents.set(c, [...(parents.get(c) ?? []), m.digest]);
  const removed = new Map<string, string>();
  for (const [digest, tags] of tagsOf) {
    // The reason is its tags' (they all go): "retained by no rule (#1)".
    if (manifests.has(digest) && tags.every((t) => removable.has(t))) removed.set(digest, [...new Set(tags.map((t) => removable.get(t)!.reason))].join('; '));
  }
  const untaggedRules = rules.filter((r) => r.untagged);
  if (untaggedRules.length) {
    for (const m of repo.manifests) {
      if (tagsOf.has(m.digest) || parents.has(m.digest) || (m.subject && manifests.has(m.subject))) continue;
      if (m.pushedAt > now - UNTAGGED_GRACE_MS) continue;
      const keptBy = untaggedRules.find((r) => r.keepDays !== null && activity(m.pushedAt, m.digest) >= now - r.keepDays * DAY_MS);
      if (!keptBy) removed.set(m.digest, `untagged (rule #${untaggedRules.map((r) => r.id).join(', #')})`);
    }
  }

  // A candidate an index that stays still lists is not removed (its tags still are). Repeat: keeping one may keep more.
  for (let changed = true; changed; ) {
    changed = false;
    for (const digest of removed.keys()) {
      if ((parents.get(digest) ?? []).some((p) => !removed.has(p))) {
        removed.delete(digest);
        changed = true;
      }
    }
  }
  // Take along index children and referrers that nothing left keeps. Parents go first: a run cut short leaves
  // orphans for the next one, never an index without its children.
  const hasRemovedParent = (d: string) => (parents.get(d) ?? []).some((p) => removed.has(p));
  const order = [...removed.keys()].sort((a, b) => Number(hasRemovedParent(a)) - Number(hasRemovedParent(b)));
  for (let i = 0; i < order.length; i++) {
    const gone = manifests.get(order[i]!)!;
    const along: [ManifestFacts, string][] = [
      ...gone.children.map((c) => manifests.get(c)).filter((m): m is ManifestFacts => m !== undefined).map((m): [ManifestFacts, string] => [m, `part of removed index ${gone.digest}`]),
      ...repo.manifests.filter((m) => m.subject === gone.digest).map((m): [ManifestFacts, string] => [m, `attached to removed manifest ${gone.digest}`]),
    ];
    for (const [m, reason] of along) {
      if (removed.has(m.digest) || tagsOf.has(m.digest)) continue;
      if ((parents.get(m.digest) ?? []).some((p) => !removed.has(p))) continue;
      removed.set(m.digest, reason);
      order.push(m.digest);
    }
  }

  const removeManifests = order.map((digest) => ({ digest, tags: (tagsOf.get(digest) ?? []).sort(), reason: removed.get(digest)! }));
  const removeTags = [...removable.values()].filter((t) => !removed.has(t.digest));
  const byTag = (a: PlannedTag, b: PlannedTag) => a.tag.localeCompare(b.tag);
  return { repository: repo.name, kept: kept.sort(byTag), removeTags: removeTags.sort(byTag), removeManifests };
}
