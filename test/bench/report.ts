/** Medians, spreads, ratios and the printed table of `npm run bench`. */

export interface Stat {
  median: number;
  min: number;
  max: number;
  values: number[];
}

export interface Target {
  label: string;
  berth: Stat;
  distribution: Stat;
  /** How many times better Berth is (>1 is better), whichever direction "better" is. */
  ratio: number;
  /** e.g. "≥ 5x", or undefined for an informational row */
  target: string | undefined;
  pass: boolean | undefined;
}

export interface Report {
  machine: { date: string; nproc: number; cpu: string; memTotalGiB: number; loadAvgAtStart: number[]; node: string; distribution: string };
  settings: Record<string, unknown>;
  notes: string[];
  targets: Target[];
  memory: unknown;
  durationSeconds: number;
}

export function stat(values: number[]): Stat {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { median: NaN, min: NaN, max: NaN, values };
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v.at(-1)!, values };
}

/** Compares medians; `factor` is the required "times better" (1 = at least equal), undefined = informational. */
export function summarize(label: string, berth: number[], distribution: number[], better: 'higher' | 'lower', factor: number | undefined): Target {
  const b = stat(berth);
  const d = stat(distribution);
  const ratio = better === 'higher' ? b.median / d.median : d.median / b.median;
  const target = factor === undefined ? undefined : factor === 1 ? (better === 'higher' ? 'Berth ≥ Distribution' : 'Berth ≤ Distribution') : `≥ ${factor}x Distribution`;
  return { label, berth: b, distribution: d, ratio, target, pass: factor === undefined ? undefined : ratio >= factor };
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return '-';
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

function cell(s: Stat): string {
  return s.values.length > 1 ? `${fmt(s.median)} [${fmt(s.min)}-${fmt(s.max)}]` : fmt(s.median);
}

export function printReport(r: Report): void {
  const rows = r.targets.map((t) => [t.label, cell(t.berth), cell(t.distribution), `${fmt(t.ratio)}x`, t.target ?? '', t.pass === undefined ? '' : t.pass ? 'PASS' : 'FAIL']);
  const head = ['Measurement', 'Berth', 'Distribution 2.8', 'Berth better by', 'Target', 'Result'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const m = r.machine;
  const out = [
    '',
    `Berth vs Distribution — ${m.date}, ${m.nproc} cores (${m.cpu}), ${m.memTotalGiB} GiB RAM, load at start ${m.loadAvgAtStart.join(' ')}, Node ${m.node}, ${m.distribution}`,
    '',
    line(head),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
    '',
    ...r.notes.map((n) => `- ${n}`),
    `- Took ${r.durationSeconds} s.`,
    '',
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}
