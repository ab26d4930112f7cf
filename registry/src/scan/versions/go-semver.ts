import { compareDigits } from './numeric.js';

/*
 * Go module versions, ordered as golang.org/x/mod/semver orders them (the Go toolchain's own rules): SemVer 2.0
 * with a leading "v", the shorthands "v1" and "v1.2" (= v1.0.0, v1.2.0), no leading zeros in numbers or numeric
 * pre-release identifiers, build metadata ("+incompatible") ignored. Pseudo-versions
 * (v0.0.0-20210101000000-abcdef123456) are pre-releases and order by their timestamp. OSV's Go records write
 * versions without the "v" ("0.17.0", stdlib "1.21.0-0"), so the "v" is optional here. Numbers compare as digit
 * strings, never as JavaScript numbers.
 */

interface GoVersion {
  major: string;
  minor: string;
  patch: string;
  prerelease: string[];
}

const num = '(0|[1-9][0-9]*)';
const ident = '[0-9A-Za-z-]+';
const re = new RegExp(`^v?${num}(?:\\.${num}(?:\\.${num})?)?(?:-(${ident}(?:\\.${ident})*))?(?:\\+(${ident}(?:\\.${ident})*))?$`);

function parse(v: string): GoVersion | undefined {
  const m = re.exec(v);
  if (!m) return undefined;
  // A shorthand ("v1", "v1.2") takes no pre-release or build suffix.
  if ((m[2] === undefined || m[3] === undefined) && (m[4] !== undefined || m[5] !== undefined)) return undefined;
  const prerelease = m[4]?.split('.') ?? [];
  if (prerelease.some((p) => /^0[0-9]+$/.test(p))) return undefined;
  return { major: m[1]!, minor: m[2] ?? '0', patch: m[3] ?? '0', prerelease };
}

export function isValidGoSemver(v: string): boolean {
  return parse(v) !== undefined;
}

const isNum = (s: string) => /^[0-9]+$/.test(s);

function comparePrerelease(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    const nx = isNum(x);
    const ny = isNum(y);
    if (nx !== ny) return nx ? -1 : 1;
    if (nx) return compareDigits(x, y);
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function compareGoSemver(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) throw new Error(`invalid Go module version ${JSON.stringify(x ? b : a)}`);
  return compareDigits(x.major, y.major) || compareDigits(x.minor, y.minor) || compareDigits(x.patch, y.patch) || comparePrerelease(x.prerelease, y.prerelease);
}
