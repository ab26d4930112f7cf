import { z } from 'zod';
import type { VulnRecordRow } from '../../meta/vulndb.js';
import { normalizePypiName } from '../inventory/parsers.js';

/*
 * OSV schema 1.x (https://ossf.github.io/osv-schema/), the parts Berth uses. Unknown fields are allowed (the
 * schema grows); a record without id or with malformed ranges is refused with the field named.
 */

const event = z
  .object({ introduced: z.string().optional(), fixed: z.string().optional(), last_affected: z.string().optional(), limit: z.string().optional() })
  .loose();

const range = z.object({ type: z.string(), repo: z.string().optional(), events: z.array(event) }).loose();

const severity = z.object({ type: z.string(), score: z.string() }).loose();

const affected = z
  .object({
    package: z.object({ ecosystem: z.string(), name: z.string(), purl: z.string().optional() }).loose().optional(),
    ranges: z.array(range).optional(),
    versions: z.array(z.string()).optional(),
    severity: z.array(severity).optional(),
    ecosystem_specific: z.record(z.string(), z.unknown()).optional(),
    database_specific: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();

export const osvRecordSchema = z
  .object({
    // RustSec's OSV export writes `"schema_version": null`.
    schema_version: z.string().nullish(),
    id: z.string().min(1).max(256),
    modified: z.string().optional(),
    published: z.string().optional(),
    withdrawn: z.string().optional(),
    aliases: z.array(z.string()).optional(),
    upstream: z.array(z.string()).optional(),
    related: z.array(z.string()).optional(),
    summary: z.string().optional(),
    details: z.string().optional(),
    severity: z.array(severity).optional(),
    affected: z.array(affected).optional(),
    database_specific: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();

export type OsvRecord = z.infer<typeof osvRecordSchema>;

/** What the matcher reads from one affected[] entry. */
export interface AffectedSpec {
  ranges: { type: string; events: { introduced?: string; fixed?: string; last_affected?: string; limit?: string }[] }[];
  versions: string[];
  /** Severity given for this package only (OSV affected[].severity or ecosystem_specific.severity). */
  severity: { type: string; score: string }[];
  label: string | undefined;
  /**
   * RHEL-family module stream ("nodejs:18") the fixed builds belong to, when the record says which (see
   * moduleStream); absent in records imported before Berth read it, which the matcher handles (modularity()).
   */
  module?: string;
}

/** Package names as the matcher looks them up: PyPI's are normalised (PEP 503), the rest exact. */
export function lookupName(ecosystem: string, name: string): string {
  return ecosystem.split(':')[0]!.toLowerCase() === 'pypi' ? normalizePypiName(name) : name;
}

/**
 * Advisories of RPM distributions (Red Hat RHSA/RHBA/RHEA, AlmaLinux ALSA, Rocky RLSA/RXSA) bundle the fixes of
 * upstream CVEs. Red Hat lists them in `upstream`; AlmaLinux only in `related`. For these advisories, and only
 * when nothing else names a CVE, the CVEs in `related` are the ones the advisory fixes, and the finding is
 * better known (and allowlisted) by them than by the advisory id. Elsewhere `related` means a different
 * vulnerability and is not used.
 */
function advisoryCves(rec: OsvRecord): string[] {
  const named = [...(rec.aliases ?? []), ...(rec.upstream ?? [])];
  if (!/^(RHSA|RHBA|RHEA|ALSA|RLSA|RXSA)-/.test(rec.id) || named.some((a) => a.startsWith('CVE-'))) return [];
  return (rec.related ?? []).filter((r) => /^CVE-\d{4}-\d+$/.test(r));
}

/** RPM distributions state severity in the advisory synopsis: "Important: openssl security update". */
function synopsisSeverity(summary: string | undefined): string | undefined {
  return /^(Critical|Important|Moderate|Low):\s/.exec(summary ?? '')?.[1];
}

/** RPM releases built in a module stream: "1.module+el9.4.0+21731+46b5c5a3" (RHEL, Rocky), "module_el8…" (Alma). */
export function isModularVersion(v: string): boolean {
  return /\.module[+_]/.test(v);
}

/**
 * The module stream of an affected[] entry of an RPM distribution, as "name:stream". Red Hat's purls carry the
 * module's NSVC in the `rpm_mod` qualifier; otherwise the advisory synopsis names it ("Important: nodejs:18
 * security update"), which is how RHSA, ALSA and RLSA titles read. Only entries whose versions are module builds
 * take the synopsis's stream: an advisory can also fix non-modular packages.
 */
function moduleStream(purl: string | undefined, summary: string | undefined, versions: string[]): string | undefined {
  const mod = /[?&]rpm_mod=([^&#]+)/.exec(purl ?? '')?.[1];
  if (mod) {
    const [name, stream] = decodeURIComponent(mod).split(':');
    if (name && stream) return `${name}:${stream}`;
  }
  if (!versions.some(isModularVersion)) return undefined;
  const m = /^(?:Critical|Important|Moderate|Low):\s+([A-Za-z0-9_.+-]+):([A-Za-z0-9_.+-]+)\s/.exec(summary ?? '');
  return m ? `${m[1]}:${m[2]}` : undefined;
}

/** The records in one parsed document: one record, a plain array, or OSV's API answer `{"vulns": [...]}`. */
export function recordsIn(doc: unknown): unknown[] {
  if (Array.isArray(doc)) return doc;
  if (doc && typeof doc === 'object' && Array.isArray((doc as { vulns?: unknown }).vulns)) return (doc as { vulns: unknown[] }).vulns;
  return [doc];
}

export function toRow(raw: unknown): VulnRecordRow {
  const r = osvRecordSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new Error(`not an OSV record: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const rec = r.data;
  const label = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    id: rec.id,
    modified: rec.modified,
    published: rec.published,
    withdrawn: rec.withdrawn,
    aliases: [...(rec.aliases ?? []), ...(rec.upstream ?? []), ...advisoryCves(rec)].filter((a, i, all) => all.indexOf(a) === i && a !== rec.id),
    summary: rec.summary ?? rec.details?.split('\n', 1)[0]?.slice(0, 300),
    severity: { cvss: rec.severity ?? [], label: label(rec.database_specific?.severity) ?? synopsisSeverity(rec.summary) },
    affected: (rec.affected ?? [])
      .filter((a) => a.package)
      .map((a) => {
        const spec: AffectedSpec = {
          ranges: (a.ranges ?? []).map((x) => ({ type: x.type, events: x.events })),
          versions: a.versions ?? [],
          severity: a.severity ?? [],
          label: label(a.ecosystem_specific?.severity) ?? label(a.database_specific?.severity),
        };
        const versions = [...spec.versions, ...spec.ranges.flatMap((x) => x.events.flatMap((e) => [e.introduced, e.fixed, e.last_affected].filter((v): v is string => v !== undefined)))];
        const module = moduleStream(a.package!.purl, rec.summary, versions);
        if (module) spec.module = module;
        return { ecosystem: a.package!.ecosystem, package: lookupName(a.package!.ecosystem, a.package!.name), spec };
      }),
  };
}
