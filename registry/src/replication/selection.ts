import picomatch from 'picomatch';
import semver from 'semver';
import type { ReplicationRule } from '../config/replication.js';

/*
 * Content rules of a replication rule, as pure functions: which repositories, which tags, and the name a
 * repository gets on the receiving side. No I/O; the planner feeds them what the source listed.
 */

const globChars = /[*?[\]{}()!+@]/;

export interface RepositorySelector {
  /** Patterns without glob characters: used as names, no catalog needed. */
  explicit: string[];
  /** Whether any positive pattern is a glob (then the source's catalog is needed). */
  needsCatalog: boolean;
  matches(name: string): boolean;
}

export function repositorySelector(patterns: string[]): RepositorySelector {
  const positive = patterns.filter((p) => !p.startsWith('!'));
  const negative = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  const opts = { dot: true };
  const isIn = positive.length ? picomatch(positive, opts) : () => false;
  const isOut = negative.length ? picomatch(negative, opts) : () => false;
  return {
    explicit: positive.filter((p) => !globChars.test(p)),
    needsCatalog: positive.some((p) => globChars.test(p)),
    matches: (name) => isIn(name) && !isOut(name),
  };
}

/** Tags the referrers tag schema uses (`sha256-<hex>`): replicated as referrers, never as plain tags. */
export function isReferrersTag(tag: string): boolean {
  return /^sha256-[0-9a-f]{64}$/.test(tag);
}

/** A tag read as a version: `1.2.3`, `v1.2`, `2` (missing parts are 0); anything else is no version. */
export function tagVersion(tag: string): string | undefined {
  if (!/^v?\d+(\.\d+){0,2}([-+][0-9A-Za-z.+-]+)?$/.test(tag)) return undefined;
  const v = semver.coerce(tag, { includePrerelease: true });
  if (!v) return undefined;
  // coerce drops a prerelease on short versions; keep the tag's own prerelease when it is complete.
  return semver.valid(tag.replace(/^v/, '')) ?? v.version;
}

/** The name filters (globs, regex, semver) without latestN, which needs push times. */
export function tagFilter(rule: Pick<ReplicationRule, 'tags' | 'tagRegex' | 'semver'>): (tag: string) => boolean {
  const glob = rule.tags && rule.tags.length ? repositorySelector(rule.tags).matches : () => true;
  const re = rule.tagRegex ? new RegExp(rule.tagRegex) : undefined;
  const range = rule.semver;
  return (tag) => {
    if (isReferrersTag(tag)) return false;
    if (!glob(tag)) return false;
    if (re && !re.test(tag)) return false;
    if (range) {
      const v = tagVersion(tag);
      if (!v || !semver.satisfies(v, range, { includePrerelease: false })) return false;
    }
    return true;
  };
}

/**
 * The N newest tags. `time` is a push time (local source) or image creation time (remote source) in ms;
 * tags without one sort by their position in the listing (later = newer), after those with a time.
 */
export function latestTags(tags: string[], n: number | undefined, time: (tag: string) => number | undefined): string[] {
  if (n === undefined || tags.length <= n) return tags;
  const ranked = tags.map((tag, i) => ({ tag, i, t: time(tag) }));
  ranked.sort((a, b) => {
    if (a.t !== undefined && b.t !== undefined && a.t !== b.t) return b.t - a.t;
    if (a.t !== undefined && b.t === undefined) return -1;
    if (a.t === undefined && b.t !== undefined) return 1;
    return b.i - a.i;
  });
  const keep = new Set(ranked.slice(0, n).map((r) => r.tag));
  return tags.filter((t) => keep.has(t));
}

/** The receiving side's name: drop `flatten` leading levels (the last always stays), then add the prefix. */
export function destinationName(source: string, rule: Pick<ReplicationRule, 'destination' | 'flatten'>): string {
  const parts = source.split('/');
  const kept = parts.slice(Math.min(rule.flatten, parts.length - 1));
  return [...(rule.destination ? [rule.destination] : []), ...kept].join('/');
}
