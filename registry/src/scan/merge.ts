import type { InventoryPackage } from './inventory/types.js';
import { rate, severityRank, type Rated } from './severity.js';
import type { VersionScheme } from './versions/index.js';

/*
 * One finding per vulnerability per package. The records that matched one package are grouped when their ids
 * and aliases connect (a DSA and the DEBIAN-CVE records of its CVEs; a GO- record, the GHSA it aliases and the
 * GHSA's CVE; an advisory listed twice, once per range): each group is one vulnerability, reported once, named
 * after its CVE, with every other id as an alias, the worst-rated severity the group's records give and the
 * fixed version that fixes all of them.
 */

/** One matched affected[] entry of one record, for one package. */
export interface Hit {
  id: string;
  aliases: string[];
  fixed: string | undefined;
  rated: Rated;
  summary: string | undefined;
}

/** Stored records by id, for severities that a matched record only names (a Go record's GHSA or CVE). */
export type SeverityById = (id: string) => Rated[];

export interface MergedFinding {
  vulnId: string;
  aliases: string[];
  rated: Rated;
  fixed: string | undefined;
  summary: string | undefined;
}

/** Groups hits whose id sets overlap (union-find over ids), in a stable order: by the first hit of each group. */
function groups(hits: Hit[]): Hit[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  for (const h of hits) {
    for (const id of [h.id, ...h.aliases]) if (!parent.has(id)) parent.set(id, id);
    for (const a of h.aliases) parent.set(find(a), find(h.id));
  }
  const out = new Map<string, Hit[]>();
  for (const h of hits) {
    const root = find(h.id);
    out.set(root, [...(out.get(root) ?? []), h]);
  }
  return [...out.values()];
}

/**
 * A CVE names the finding: a record that is a CVE itself (the lowest, for determinism), else the first CVE an
 * advisory lists (DSA, RHSA, GHSA and GO records list the CVE they are about first), else the CVE a per-CVE
 * record of a distribution is about (DEBIAN-CVE-…, UBUNTU-CVE-…), else the first record's id.
 */
function nameOf(group: Hit[]): string {
  const cveRecords = group.map((h) => h.id).filter((id) => id.startsWith('CVE-')).sort();
  if (cveRecords.length > 0) return cveRecords[0]!;
  const firstCve = (hits: Hit[]) => hits.flatMap((h) => h.aliases).find((a) => a.startsWith('CVE-'));
  return firstCve(group.filter((h) => !h.id.includes('CVE-'))) ?? firstCve(group) ?? group[0]!.id;
}

/**
 * The group's severity: a CVSS score from a matched record (the highest), else one from a record an alias names
 * (Go's vulndb states no severity; its GHSA or the CVE's record does), else the highest label (the ecosystem's own
 * rating: GHSA `database_specific.severity`, a distribution's urgency), else an alias record's label.
 */
function severityOf(group: Hit[], ids: string[], byId: SeverityById | undefined): Rated {
  const best = (list: Rated[]): Rated | undefined => {
    const scored = list.filter((r) => r.score !== undefined).sort((a, b) => b.score! - a.score!);
    return scored[0];
  };
  const worstLabel = (list: Rated[]): Rated | undefined => {
    const known = list.filter((r) => r.severity !== 'unknown').sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
    return known[0];
  };
  const own = group.map((h) => h.rated);
  const fromOwn = best(own);
  if (fromOwn) return fromOwn;
  const matchedIds = new Set(group.map((h) => h.id));
  const aliased = byId ? ids.filter((id) => !matchedIds.has(id)).flatMap((id) => byId(id)) : [];
  return best(aliased) ?? worstLabel(own) ?? worstLabel(aliased) ?? rate([], []);
}

/** The highest fixed version among the group's records: below it, one of them still applies. */
function fixedOf(group: Hit[], scheme: VersionScheme): string | undefined {
  let fixed: string | undefined;
  for (const h of group) {
    if (h.fixed === undefined) continue;
    try {
      if (fixed === undefined || scheme.compare(h.fixed, fixed) > 0) fixed = h.fixed;
    } catch {
      fixed ??= h.fixed;
    }
  }
  return fixed;
}

export function mergeHits(hits: Hit[], scheme: VersionScheme, byId?: SeverityById): MergedFinding[] {
  // Stable input order whatever order the database returned rows in.
  const sorted = [...hits].sort((a, b) => a.id.localeCompare(b.id));
  return groups(sorted).map((group) => {
    const vulnId = nameOf(group);
    const ids = group.flatMap((h) => [h.id, ...h.aliases]).filter((id, i, all) => all.indexOf(id) === i);
    return {
      vulnId,
      aliases: ids.filter((id) => id !== vulnId),
      rated: severityOf(group, ids, byId),
      fixed: fixedOf(group, scheme),
      summary: group.find((h) => h.id === vulnId)?.summary ?? group.find((h) => h.summary)?.summary,
    };
  });
}

/** Whether an advisory entry's module stream applies to an installed RPM (both undefined: neither is modular). */
export function moduleApplies(advisory: string | undefined, p: Pick<InventoryPackage, 'module'>, installedModular: boolean): boolean {
  const installed = p.module ?? (installedModular ? '*' : undefined);
  if (advisory === undefined || installed === undefined) return advisory === installed;
  return advisory === '*' || installed === '*' || advisory === installed;
}
