import { highestSeverityVectors, macroVectorDepths, macroVectorScores } from './cvss4-lookup.js';

/*
 * CVSS v4.0 scores (FIRST's CVSS v4.0 Specification Document, §8 "CVSS v4.0 Scoring").
 *
 * v4.0 has no formula: a vector falls into one MacroVector (six equivalence classes EQ1..EQ6 of its metric
 * values), whose score the spec tabulates (cvss4-lookup.ts). Within a MacroVector, a vector scores lower than
 * the table value in proportion to how far (in severity steps) it lies from the MacroVector's highest-severity
 * vector, relative to the MacroVector's depth, times the score gap to the next lower MacroVector of each EQ;
 * the mean of those per-EQ reductions is subtracted and the result rounded to one decimal.
 *
 * The score follows the metrics present: base only gives CVSS-B; threat (E) and environmental metrics (CR/IR/AR
 * and the modified M* metrics) give CVSS-BT/BE/BTE, applied as the spec says (a modified metric replaces its
 * base metric; E, CR, IR and AR left out count as their most severe value). Supplemental metrics are validated
 * and do not change the score (the spec: "Supplemental metrics do not modify the final score").
 *
 * Metric order: the spec lists an order, and FIRST's calculator refuses other orders, but real advisories
 * (GitHub's among them) publish reordered vectors that say the same thing; a scanner gains nothing by dropping
 * their score, so any order is accepted. Duplicates, unknown metrics and values, and missing base metrics are not.
 */

const impact = ['H', 'L', 'N'] as const;

/** Allowed values per metric. Base metrics are mandatory and have no X; all others default to X (Not Defined). */
const metricValues: Readonly<Record<string, readonly string[]>> = {
  AV: ['N', 'A', 'L', 'P'],
  AC: ['L', 'H'],
  AT: ['N', 'P'],
  PR: ['N', 'L', 'H'],
  UI: ['N', 'P', 'A'],
  VC: impact,
  VI: impact,
  VA: impact,
  SC: impact,
  SI: impact,
  SA: impact,
  // Threat
  E: ['X', 'A', 'P', 'U'],
  // Environmental
  CR: ['X', 'H', 'M', 'L'],
  IR: ['X', 'H', 'M', 'L'],
  AR: ['X', 'H', 'M', 'L'],
  MAV: ['X', 'N', 'A', 'L', 'P'],
  MAC: ['X', 'L', 'H'],
  MAT: ['X', 'N', 'P'],
  MPR: ['X', 'N', 'L', 'H'],
  MUI: ['X', 'N', 'P', 'A'],
  MVC: ['X', ...impact],
  MVI: ['X', ...impact],
  MVA: ['X', ...impact],
  MSC: ['X', ...impact],
  // Safety (S) exists only as a modified value of the subsequent system's integrity and availability.
  MSI: ['X', 'S', ...impact],
  MSA: ['X', 'S', ...impact],
  // Supplemental: validated, never scored.
  S: ['X', 'N', 'P'],
  AU: ['X', 'N', 'Y'],
  R: ['X', 'A', 'U', 'I'],
  V: ['X', 'D', 'C'],
  RE: ['X', 'L', 'M', 'H'],
  U: ['X', 'Clear', 'Green', 'Amber', 'Red'],
};

const baseMetrics = ['AV', 'AC', 'AT', 'PR', 'UI', 'VC', 'VI', 'VA', 'SC', 'SI', 'SA'] as const;

/**
 * Severity level of each value in steps of 0.1 from the most severe (the spec's "severity distance"). SC has no
 * Safety value, so its High is one step from the top as SI's and SA's High are.
 */
const levels: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  AV: { N: 0, A: 1, L: 2, P: 3 },
  PR: { N: 0, L: 1, H: 2 },
  UI: { N: 0, P: 1, A: 2 },
  AC: { L: 0, H: 1 },
  AT: { N: 0, P: 1 },
  VC: { H: 0, L: 1, N: 2 },
  VI: { H: 0, L: 1, N: 2 },
  VA: { H: 0, L: 1, N: 2 },
  SC: { H: 1, L: 2, N: 3 },
  SI: { S: 0, H: 1, L: 2, N: 3 },
  SA: { S: 0, H: 1, L: 2, N: 3 },
  CR: { H: 0, M: 1, L: 2 },
  IR: { H: 0, M: 1, L: 2 },
  AR: { H: 0, M: 1, L: 2 },
};

type Metrics = ReadonlyMap<string, string>;

/** The metrics of a CVSS:4.0 vector, or undefined when it is not a valid one. */
function parse(vector: string): Metrics | undefined {
  const [prefix, ...parts] = vector.trim().split('/');
  if (prefix !== 'CVSS:4.0' || parts.length === 0) return undefined;
  const m = new Map<string, string>();
  for (const part of parts) {
    const kv = part.split(':');
    if (kv.length !== 2) return undefined;
    const [key, value] = kv as [string, string];
    if (m.has(key) || !Object.hasOwn(metricValues, key) || !metricValues[key]!.includes(value)) return undefined;
    m.set(key, value);
  }
  return baseMetrics.every((k) => m.has(k)) ? m : undefined;
}

/** The value a metric scores with: its modified value when one is given, the worst case for E/CR/IR/AR left out. */
function effective(m: Metrics, metric: string): string {
  const own = m.get(metric) ?? 'X';
  if (metric === 'E') return own === 'X' ? 'A' : own;
  if (metric === 'CR' || metric === 'IR' || metric === 'AR') return own === 'X' ? 'H' : own;
  const modified = m.get(`M${metric}`);
  return modified !== undefined && modified !== 'X' ? modified : own;
}

/** The MacroVector: EQ1..EQ6 as six digits, each 0 for the most severe class (spec §8.2, Tables 24–29). */
function macroVectorOf(m: Metrics): string {
  const v = (k: string) => effective(m, k);
  const [av, pr, ui] = [v('AV'), v('PR'), v('UI')];
  const eq1 = av === 'N' && pr === 'N' && ui === 'N' ? 0 : av !== 'P' && (av === 'N' || pr === 'N' || ui === 'N') ? 1 : 2;
  const eq2 = v('AC') === 'L' && v('AT') === 'N' ? 0 : 1;
  const [vc, vi, va] = [v('VC'), v('VI'), v('VA')];
  const eq3 = vc === 'H' && vi === 'H' ? 0 : vc === 'H' || vi === 'H' || va === 'H' ? 1 : 2;
  // SI/SA are Safety only through MSI:S / MSA:S, which effective() has already substituted.
  const [sc, si, sa] = [v('SC'), v('SI'), v('SA')];
  const eq4 = si === 'S' || sa === 'S' ? 0 : sc === 'H' || si === 'H' || sa === 'H' ? 1 : 2;
  const eq5 = { A: 0, P: 1, U: 2 }[v('E') as 'A' | 'P' | 'U'];
  const eq6 = (v('CR') === 'H' && vc === 'H') || (v('IR') === 'H' && vi === 'H') || (v('AR') === 'H' && va === 'H') ? 0 : 1;
  return `${eq1}${eq2}${eq3}${eq4}${eq5}${eq6}`;
}

/** The MacroVector of a CVSS:4.0 vector (e.g. "000200"), or undefined when the vector is invalid. */
export function cvss4MacroVector(vector: string): string | undefined {
  const m = parse(vector);
  return m ? macroVectorOf(m) : undefined;
}

/** Parses "AV:N/PR:N/UI:N" pieces of a highest-severity vector into one map. */
function partial(...pieces: string[]): Map<string, string> {
  return new Map(pieces.flatMap((p) => p.split('/')).map((kv) => kv.split(':') as [string, string]));
}

const scoreTenths = (mv: string): number | undefined => {
  const s = macroVectorScores[mv];
  return s === undefined ? undefined : Math.round(s * 10);
};

/**
 * The CVSS v4.0 score of a vector (CVSS-B, or CVSS-BT/BE/BTE when threat or environmental metrics are in it),
 * or undefined when the vector is not a valid CVSS:4.0 vector.
 */
export function cvss4Score(vector: string): number | undefined {
  const m = parse(vector);
  if (!m) return undefined;
  // No impact on either system: 0.0 whatever else the vector says.
  if (['VC', 'VI', 'VA', 'SC', 'SI', 'SA'].every((k) => effective(m, k) === 'N')) return 0;

  const mv = macroVectorOf(m);
  const eq = [...mv].map(Number) as [number, number, number, number, number, number];
  const [eq1, eq2, eq3, eq4, eq5, eq6] = eq;
  const at = (...d: number[]) => d.join('');
  const top = scoreTenths(mv)!;

  // The next lower MacroVector of each EQ (one level less severe); EQ3 and EQ6 move together: 00 → 01 or 10
  // (whichever scores higher), 01 → 11, 10 → 11, 11 → 21; 21 has none. A missing one is left out of the mean.
  const lower = {
    eq1: scoreTenths(at(eq1 + 1, eq2, eq3, eq4, eq5, eq6)),
    eq2: scoreTenths(at(eq1, eq2 + 1, eq3, eq4, eq5, eq6)),
    eq3eq6:
      eq3 === 0 && eq6 === 0
        ? Math.max(scoreTenths(at(eq1, eq2, 0, eq4, eq5, 1))!, scoreTenths(at(eq1, eq2, 1, eq4, eq5, 0))!)
        : eq3 === 1 && eq6 === 0
          ? scoreTenths(at(eq1, eq2, 1, eq4, eq5, 1))
          : eq3 < 2
            ? scoreTenths(at(eq1, eq2, eq3 + 1, eq4, eq5, eq6))
            : undefined,
    eq4: scoreTenths(at(eq1, eq2, eq3, eq4 + 1, eq5, eq6)),
    eq5: scoreTenths(at(eq1, eq2, eq3, eq4, eq5 + 1, eq6)),
  };

  // The highest-severity vector of this MacroVector that the vector is at or below in every metric (the first
  // such, in the spec's order); the distance to it, per EQ, is the sum of the metrics' level differences.
  // E takes no part: EQ5's proportion is always 0 (only its MacroVector score counts).
  const hs = highestSeverityVectors;
  const distanceTo = (max: Map<string, string>) => Object.fromEntries(Object.keys(levels).map((k) => [k, levels[k]![effective(m, k)]! - levels[k]![max.get(k)!]!]));
  let distance: Record<string, number> | undefined;
  search: for (const a of hs.eq1[eq1]!)
    for (const b of hs.eq2[eq2]!)
      for (const c of hs.eq3eq6[`${eq3}${eq6}`]!)
        for (const d of hs.eq4[eq4]!) {
          distance = distanceTo(partial(a, b, c, d));
          if (Object.values(distance).every((x) => x >= 0)) break search;
        }
  // The loop always assigns (every EQ level has at least one highest-severity vector); when none dominates,
  // the last one's distances are used, as FIRST's calculator does.
  const d = distance!;
  const steps = {
    eq1: d.AV! + d.PR! + d.UI!,
    eq2: d.AC! + d.AT!,
    eq3eq6: d.VC! + d.VI! + d.VA! + d.CR! + d.IR! + d.AR!,
    eq4: d.SC! + d.SI! + d.SA!,
  };
  const depth = {
    eq1: macroVectorDepths.eq1[eq1]!,
    eq2: macroVectorDepths.eq2[eq2]!,
    eq3eq6: macroVectorDepths.eq3eq6[`${eq3}${eq6}`]!,
    eq4: macroVectorDepths.eq4[eq4]!,
  };

  // Work in tenths of a point so the table's scores are integers; only the proportions are fractions.
  let total = 0;
  let counted = 0;
  for (const k of ['eq1', 'eq2', 'eq3eq6', 'eq4'] as const) {
    const next = lower[k];
    if (next === undefined) continue;
    counted++;
    total += ((top - next) * steps[k]) / depth[k];
  }
  if (lower.eq5 !== undefined) counted++;
  const tenths = Math.min(100, Math.max(0, top - (counted ? total / counted : 0)));
  // Round half up to one decimal. The tolerance absorbs binary error in the division: true values are
  // multiples of 1/4200 of a tenth, so nothing that should round down lies within 1e-9 below a half.
  return Math.floor(tenths + 0.5 + 1e-9) / 10;
}
