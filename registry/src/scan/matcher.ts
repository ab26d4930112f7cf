import type { AffectedMatchRow } from '../meta/vulndb.js';
import type { Inventory, InventoryPackage, OsInfo } from './inventory/types.js';
import { schemeForEcosystem, schemes, type VersionScheme } from './versions/index.js';
import type { AffectedSpec } from './vulndb/osv.js';
import { isModularVersion, lookupName } from './vulndb/osv.js';
import { rate, severityRank, type Rated, type Severity } from './severity.js';
import { mergeHits, moduleApplies, type Hit, type SeverityById } from './merge.js';

/*
 * Matches an inventory against OSV records. OSV semantics (https://ossf.github.io/osv-schema/#evaluation):
 * a version is affected when listed in `versions`, or when, walking a range's events in version order,
 * the last applicable event is an `introduced` (not followed by a `fixed` ≤ it or a `last_affected` < it),
 * and it is below a `limit` when the range has any. OS packages match by their source package too (Debian,
 * Alpine, Rocky and AlmaLinux advisories name source packages; Red Hat's name binary or source RPMs), within the
 * release-qualified ecosystem of the image's OS. Red Hat qualifies by product stream instead (see redHatStream).
 * RPMs of a module stream (nodejs:18) take only that stream's fixes: the builds of nodejs:20, or of the
 * non-modular package, carry other version lines, and comparing across them reports fixed packages as vulnerable.
 * The records that matched one package are merged into one finding per vulnerability (merge.ts).
 */

export interface Finding {
  /** The CVE id when the records or their aliases have one, else a record's own id (merge.ts nameOf). */
  vulnId: string;
  aliases: string[];
  severity: Severity;
  score: number | undefined;
  package: string;
  packageType: string;
  installed: string;
  fixed: string | undefined;
  layer: string;
  summary: string | undefined;
}

export interface VulnLookup {
  affecting(pkg: string): AffectedMatchRow[];
  /** Stored severities (JSON, as toRow writes them) of the served, not withdrawn records with this id. */
  severitiesOf?(id: string): string[];
  /** Whether the database has any record of the ecosystem; absent: assume it has (test doubles). */
  hasEcosystem?(base: string): boolean;
}

export interface Candidate {
  ecosystems: { base: string; release: string | undefined };
  names: { name: string; version: string }[];
}

/** Alpine releases are "v3.19" in OSV; VERSION_ID is "3.19.1". */
function osRelease(os: OsInfo | undefined, base: string): string | undefined {
  if (!os) return undefined;
  if (base === 'Alpine') {
    const m = /^(\d+)\.(\d+)/.exec(os.versionId);
    return m ? `v${m[1]}.${m[2]}` : undefined;
  }
  return os.versionId || undefined;
}

/**
 * os-release ID → OSV ecosystem of RPM distributions that publish OSV data. "rhel" is RHEL and also every UBI
 * image. Others, CentOS Stream ("centos") and Fedora among them, publish none: their packages are reported as
 * not checked (see match()) rather than silently clean.
 */
const rpmEcosystems: Record<string, string> = { rocky: 'Rocky Linux', almalinux: 'AlmaLinux', rhel: 'Red Hat', 'opensuse-leap': 'openSUSE', 'opensuse-tumbleweed': 'openSUSE', sles: 'SUSE', mageia: 'Mageia' };

function candidate(p: InventoryPackage, os: OsInfo | undefined): Candidate | undefined {
  // Distribution advisories name source packages and source versions (a binNMU's "+b1" is not in them);
  // the binary name is looked up too, for records that use it.
  const names = [{ name: p.sourceName ?? p.name, version: p.sourceVersion ?? p.version }];
  if (p.sourceName && p.sourceName !== p.name) names.push({ name: p.name, version: p.version });
  switch (p.type) {
    case 'deb': {
      const base = os?.id === 'ubuntu' ? 'Ubuntu' : 'Debian';
      return { ecosystems: { base, release: osRelease(os, base) }, names };
    }
    case 'apk':
      return { ecosystems: { base: 'Alpine', release: osRelease(os, 'Alpine') }, names };
    case 'rpm': {
      const base = rpmEcosystems[os?.id ?? ''];
      // OSV qualifies these by major release ("Rocky Linux:9", "AlmaLinux:9").
      return base ? { ecosystems: { base, release: os?.versionId.split('.')[0] || undefined }, names } : undefined;
    }
    case 'npm':
      return { ecosystems: { base: 'npm', release: undefined }, names };
    case 'pypi':
      return { ecosystems: { base: 'PyPI', release: undefined }, names: names.map((n) => ({ ...n, name: lookupName('PyPI', n.name) })) };
    case 'golang':
      // OSV's Go records write versions without the "v" (and stdlib as "1.21.5", which the inventory uses).
      return { ecosystems: { base: 'Go', release: undefined }, names: names.map((n) => ({ ...n, version: n.version.replace(/^v/, '') })) };
    case 'cargo':
      return { ecosystems: { base: 'crates.io', release: undefined }, names };
    case 'gem':
      return { ecosystems: { base: 'RubyGems', release: undefined }, names };
    default:
      return undefined;
  }
}

/**
 * Red Hat names product streams by CPE ("Red Hat:enterprise_linux:9::appstream" is cpe:/a:redhat:enterprise_linux:
 * 9::appstream). An image says only its release, not its repositories, so it takes the fixes of every repository
 * of its major release's main stream (baseos, appstream, crb, …). Extended-support streams (rhel_eus:9.2,
 * rhel_aus, rhel_e4s, rhel_tus, rhel_els) and layered products (openshift, rhel_software_collections, …) ship
 * their own builds to subscribers of those channels: their fixed versions would be wrong for a UBI or
 * mainline RHEL image, so they do not apply.
 */
function redHatStream(rest: string[], major: string | undefined): boolean {
  return major !== undefined && rest[0] === 'enterprise_linux' && rest[1] === major;
}

/** "Debian:12" applies to Debian 12 only; "Debian" to every release; Ubuntu's "Ubuntu:22.04:LTS" by prefix. */
export function ecosystemApplies(recordEcosystem: string, c: Candidate): boolean {
  const [base, ...rest] = recordEcosystem.split(':');
  if (base !== c.ecosystems.base) return false;
  if (rest.length === 0) return true;
  const release = c.ecosystems.release;
  if (base === 'Red Hat') return redHatStream(rest, release);
  return release !== undefined && rest[0] === release;
}

type Event = { introduced?: string; fixed?: string; last_affected?: string; limit?: string };

function eventVersion(e: Event): string {
  return (e.introduced ?? e.fixed ?? e.last_affected ?? e.limit)!;
}

/** Affected, and the fixed version that applies (the first `fixed` above the installed version). */
export function affectedBy(version: string, spec: AffectedSpec, ecosystemScheme: VersionScheme): { affected: boolean; fixed: string | undefined } {
  if (spec.versions.includes(version)) return { affected: true, fixed: undefined };
  for (const range of spec.ranges) {
    if (range.type !== 'ECOSYSTEM' && range.type !== 'SEMVER') continue;
    // SEMVER ranges order by SemVer 2.0; Go's own rules are that, with Go's spellings (v-prefix, shorthands).
    const scheme = range.type === 'SEMVER' && ecosystemScheme.name !== 'go' ? schemes.semver : ecosystemScheme;
    const cmp = (a: string, b: string): number => {
      if (a === b) return 0;
      if (a === '0') return -1;
      if (b === '0') return 1;
      return scheme.compare(a, b);
    };
    const events = range.events.filter((e) => eventVersion(e) !== undefined && !e.limit);
    const limits = range.events.filter((e) => e.limit !== undefined).map((e) => e.limit!);
    // Stable sort by version; at one version an introduced comes before a fixed (so [x, x) is empty).
    const order = (e: Event) => (e.introduced !== undefined ? 0 : 1);
    events.sort((a, b) => cmp(eventVersion(a), eventVersion(b)) || order(a) - order(b));
    let vulnerable = false;
    for (const e of events) {
      if (e.introduced !== undefined && (e.introduced === '0' || cmp(version, e.introduced) >= 0)) vulnerable = true;
      else if (e.fixed !== undefined && cmp(version, e.fixed) >= 0) vulnerable = false;
      else if (e.last_affected !== undefined && cmp(version, e.last_affected) > 0) vulnerable = false;
    }
    if (vulnerable && limits.length > 0 && !limits.some((l) => l === '*' || cmp(version, l) < 0)) vulnerable = false;
    if (vulnerable) {
      const fixed = events.find((e) => e.fixed !== undefined && cmp(e.fixed, version) > 0)?.fixed;
      return { affected: true, fixed };
    }
  }
  return { affected: false, fixed: undefined };
}

/** The module stream an advisory entry's fixes belong to; '*' for module builds of a stream the record does not name. */
function advisoryModule(spec: AffectedSpec): string | undefined {
  if (spec.module) return spec.module;
  const versions = [...spec.versions, ...spec.ranges.flatMap((r) => r.events.map((e) => e.fixed ?? e.last_affected ?? e.introduced ?? ''))];
  return versions.some(isModularVersion) ? '*' : undefined;
}

/** Severity as stored per record (vulndb/osv.ts toRow). */
type StoredSeverity = { cvss?: { type: string; score: string }[]; label?: string };

/** Ratings of the served records with an id, cached for the scan (a CVE is named by many packages' records). */
function severitiesById(lookup: (id: string) => string[]): SeverityById {
  const cache = new Map<string, Rated[]>();
  return (id) => {
    let r = cache.get(id);
    if (!r) {
      r = lookup(id).map((json) => {
        const s = JSON.parse(json) as StoredSeverity | null;
        return rate([s?.cvss ?? []], [s?.label]);
      });
      cache.set(id, r);
    }
    return r;
  };
}

export interface MatchResult {
  findings: Finding[];
  /** Versions the schemes could not read (e.g. a malformed version in an image), for the report's notes. */
  problems: string[];
  /** Packages that could not be checked at all (an OS without vulnerability data), for the report's notes. */
  unchecked: string[];
}

/**
 * OS packages of a distribution no vulnerability source covers (CentOS Stream, Fedora, an RPM image without
 * os-release …): zero findings would read as "clean", so the report says they were not checked.
 */
function uncheckedNote(type: string, count: number, os: OsInfo | undefined): string {
  const what = `${count} ${type} package${count === 1 ? '' : 's'}`;
  if (!os) return `${what}: the image has no /etc/os-release, so their distribution (and its vulnerability data) is unknown; they were not checked`;
  const name = os.prettyName ?? `${os.id} ${os.versionId}`.trim();
  return `${what}: Berth has no vulnerability source for ${name} (os-release ID "${os.id}"; OSV publishes none); they were not checked`;
}

export function match(inventory: Inventory, db: VulnLookup): MatchResult {
  const findings: Finding[] = [];
  const byId = db.severitiesOf ? severitiesById(db.severitiesOf.bind(db)) : undefined;
  const problems = new Set<string>();
  const unchecked = new Map<string, number>();
  const perEcosystem = new Map<string, number>();
  for (const p of inventory.packages) {
    const c = candidate(p, inventory.os);
    if (!c) {
      if (p.type === 'rpm') unchecked.set(p.type, (unchecked.get(p.type) ?? 0) + 1);
      continue;
    }
    const scheme = schemeForEcosystem(c.ecosystems.base);
    if (!scheme) continue;
    perEcosystem.set(c.ecosystems.base, (perEcosystem.get(c.ecosystems.base) ?? 0) + 1);
    const hits: Hit[] = [];
    for (const n of c.names) {
      for (const row of db.affecting(n.name)) {
        if (row.withdrawn || !ecosystemApplies(row.ecosystem, c)) continue;
        const spec = JSON.parse(row.spec) as AffectedSpec;
        if (p.type === 'rpm' && !moduleApplies(advisoryModule(spec), p, isModularVersion(n.version))) continue;
        let result: { affected: boolean; fixed: string | undefined };
        try {
          result = affectedBy(n.version, spec, scheme);
        } catch (e) {
          problems.add(`${row.vulnId} for ${n.name} ${n.version}: ${(e as Error).message}`);
          continue;
        }
        if (!result.affected) continue;
        const record = JSON.parse(row.severity) as StoredSeverity | null;
        hits.push({
          id: row.vulnId,
          aliases: JSON.parse(row.aliases) as string[],
          fixed: result.fixed,
          rated: rate([spec.severity, record?.cvss ?? []], [spec.label, record?.label]),
          summary: row.summary ?? undefined,
        });
      }
    }
    for (const m of mergeHits(hits, scheme, byId)) {
      findings.push({ vulnId: m.vulnId, aliases: m.aliases, severity: m.rated.severity, score: m.rated.score, package: p.name, packageType: p.type, installed: p.version, fixed: m.fixed, layer: p.layer, summary: m.summary });
    }
  }
  const list = findings.sort(
    (a, b) => severityRank(b.severity) - severityRank(a.severity) || (b.score ?? 0) - (a.score ?? 0) || a.vulnId.localeCompare(b.vulnId) || a.package.localeCompare(b.package),
  );
  // Packages of an ecosystem the database has no record of were not really checked: say so, not "clean".
  const notImported = [...perEcosystem]
    .filter(([base]) => db.hasEcosystem?.(base) === false)
    .map(([base, n]) => `${n} ${base} package${n === 1 ? '' : 's'}: no ${base} vulnerability data has been imported (berth vulndb import); they were not checked`);
  return { findings: list, problems: [...problems], unchecked: [...[...unchecked].map(([type, n]) => uncheckedNote(type, n, inventory.os)), ...notImported] };
}
