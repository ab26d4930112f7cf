import { cvss4Score } from './cvss4.js';

/*
 * Severities and CVSS v3.x base scores (FIRST's CVSS v3.1 specification §7.1 and Appendix A's Roundup);
 * CVSS v4.0 scores are computed in cvss4.ts. Both map to severities by the same qualitative scale.
 */

export const severities = ['critical', 'high', 'medium', 'low', 'unknown'] as const;
export type Severity = (typeof severities)[number];

const rank: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, unknown: 0 };

export function severityRank(s: Severity): number {
  return rank[s];
}

export function isSeverity(s: string): s is Severity {
  return (severities as readonly string[]).includes(s);
}

/** A database's own word for severity (GHSA, Debian, Alpine, Ubuntu spellings) mapped to ours. */
export function severityFromLabel(label: string | undefined): Severity | undefined {
  switch (label?.trim().toLowerCase()) {
    case 'critical':
      return 'critical';
    case 'high':
    case 'important':
      return 'high';
    case 'medium':
    case 'moderate':
      return 'medium';
    case 'low':
    case 'negligible':
    case 'unimportant':
    case 'minor':
      return 'low';
    default:
      return undefined;
  }
}

export function severityFromScore(score: number): Severity {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return 'unknown';
}

/** CVSS v3.1 Roundup: the smallest number with one decimal that is ≥ the input, free of float noise. */
function roundUp(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

const W = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;

/** The base score of a CVSS:3.0 or CVSS:3.1 vector, or undefined when the vector is not one. */
export function cvss3BaseScore(vector: string): number | undefined {
  const parts = vector.trim().split('/');
  if (!/^CVSS:3\.[01]$/.test(parts[0] ?? '')) return undefined;
  const m = new Map<string, string>();
  for (const p of parts.slice(1)) {
    const [k, v] = p.split(':');
    if (!k || !v || m.has(k)) return undefined;
    m.set(k, v);
  }
  const get = <T extends Record<string, number>>(table: T, key: string): number | undefined => {
    const v = m.get(key);
    return v !== undefined && v in table ? table[v as keyof T] : undefined;
  };
  const scope = m.get('S');
  if (scope !== 'U' && scope !== 'C') return undefined;
  const av = get(W.AV, 'AV');
  const ac = get(W.AC, 'AC');
  const ui = get(W.UI, 'UI');
  const pr = get(scope === 'C' ? { N: 0.85, L: 0.68, H: 0.5 } : { N: 0.85, L: 0.62, H: 0.27 }, 'PR');
  const c = get(W.CIA, 'C');
  const i = get(W.CIA, 'I');
  const a = get(W.CIA, 'A');
  if (av === undefined || ac === undefined || ui === undefined || pr === undefined || c === undefined || i === undefined || a === undefined) return undefined;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15);
  const exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  return scope === 'U' ? roundUp(Math.min(impact + exploitability, 10)) : roundUp(Math.min(1.08 * (impact + exploitability), 10));
}

export interface Rated {
  severity: Severity;
  score: number | undefined;
}

/**
 * The severity of a record for one package: the vectors given for the package, then the record's, then a
 * stated label; 'unknown' when nothing says. Within one list a CVSS v3 vector wins over a v4 one: when a record
 * carries both (GitHub advisories do), the v3 score is the one Trivy and Harbor show today and the scale existing
 * pull-gate thresholds were chosen on, so a CVE keeps the score users compare against; v4 scores a record that
 * has only v4. The package's own list still comes first, whatever its version. A vector that does not parse is
 * skipped.
 */
export function rate(vectors: { type: string; score: string }[][], labels: (string | undefined)[]): Rated {
  const scorers: [string, (v: string) => number | undefined][] = [
    ['CVSS_V3', cvss3BaseScore],
    ['CVSS_V4', cvss4Score],
  ];
  for (const list of vectors) {
    for (const [type, scoreOf] of scorers) {
      for (const s of list) {
        if (s.type !== type) continue;
        const score = scoreOf(s.score);
        if (score !== undefined) return { severity: severityFromScore(score), score };
      }
    }
  }
  // Ubuntu's records state its priority as a severity entry of type "Ubuntu" ("medium"): a label, not a vector.
  const stated = vectors.flatMap((list) => list.filter((s) => s.type === 'Ubuntu').map((s) => s.score));
  for (const l of [...labels, ...stated]) {
    const sev = severityFromLabel(l);
    if (sev) return { severity: sev, score: undefined };
  }
  return { severity: 'unknown', score: undefined };
}
