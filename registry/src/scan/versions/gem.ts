import { compareDigits } from './numeric.js';

/*
 * RubyGems versions, as Gem::Version (rubygems lib/rubygems/version.rb) defines them. A version is digits, then
 * dot-separated alphanumeric parts, then an optional "-" suffix. A "-" part that starts with a letter becomes a
 * dot ("1.0.0-beta.1" is "1.0.0.beta.1"); a numeric one becomes ".pre." ("1.0.0-1" is the prerelease
 * "1.0.0.pre.1"). Segments are the runs of digits and of letters, so "1.0.b1" is [1, 0, "b", 1]; any letter
 * makes a prerelease. Comparison uses canonical segments: trailing zeros dropped, zeros before the first letter
 * dropped ("1.0.a" equals "1.a"), a "pre" just before another word ignored. Then segment by segment: numbers
 * by value, words by bytes, a word below a number; when one side runs out, what remains decides — a word
 * makes it smaller (a prerelease of the shorter), a non-zero number larger.
 */

type Segment = string | bigint;

const pattern = /^\s*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?\s*$/;

/** Versions longer than this are refused: nothing real is, and it bounds the work on hostile input. */
const MAX_LENGTH = 256;

export function isValidGemVersion(v: string): boolean {
  return v.length <= MAX_LENGTH && pattern.test(v);
}

function normalizeHyphens(v: string): string {
  if (!v.includes('-')) return v;
  return v
    .split('-')
    .map((part, i) => (i === 0 || /[a-zA-Z]/.test(/^[^.]*/.exec(part)![0]) ? part : `pre.${part}`))
    .join('.');
}

function segmentsOf(v: string): Segment[] {
  return (v.match(/[0-9]+|[a-z]+/gi) ?? []).map((s) => (/^[0-9]/.test(s) ? BigInt(s) : s));
}

/** Canonical segments, as Gem::Version#canonical_segments computes them. */
export function canonicalGemSegments(version: string): Segment[] {
  if (!isValidGemVersion(version)) throw new Error(`invalid RubyGems version ${JSON.stringify(version)}`);
  let v = version.trim();
  if (v === '') v = '0';
  v = normalizeHyphens(v);
  const prerelease = /[a-zA-Z]/.test(v);
  // Trailing zero segments, anchored on a dot or a letter (may leave a trailing dot, which segments ignore).
  v = v.replace(/(?<=[a-zA-Z.])[.0]+$/, '');
  // Zero segments before the first letter of a prerelease.
  if (prerelease) v = v.replace(/(?<=\.|^)[0.]+(?=[a-zA-Z])/, '');
  const segs = segmentsOf(v);
  // An old-style ".pre." before a word label is redundant ("1.0.0.pre.beta.1" is "1.0.0.beta.1").
  return segs.filter((s, i) => !(s === 'pre' && i + 1 < segs.length && typeof segs[i + 1] === 'string'));
}

function compareSegment(a: Segment, b: Segment): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string') return -1;
  if (typeof b === 'string') return 1;
  return compareDigits(a.toString(), b.toString());
}

export function compareGem(a: string, b: string): number {
  const x = canonicalGemSegments(a);
  const y = canonicalGemSegments(b);
  const limit = Math.min(x.length, y.length);
  for (let i = 0; i < limit; i++) {
    const r = compareSegment(x[i]!, y[i]!);
    if (r) return r;
  }
  // The longer side decides by its first remaining segment that is not a zero.
  const [rest, sign] = x.length > limit ? [x.slice(limit), 1] : [y.slice(limit), -1];
  for (const s of rest) {
    if (typeof s === 'string') return -sign;
    if (s !== 0n) return sign;
  }
  return 0;
}
