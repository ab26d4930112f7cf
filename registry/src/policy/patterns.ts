import picomatch from 'picomatch';
import { projectOf } from '../oci/reference.js';

/*
 * The globs of policy rules: doublestar (picomatch, as replication's and transfer's filters), one pattern per
 * field, `{a,b}` for alternatives and a leading `!` to invert. Repository patterns match the repository's path
 * inside its project (`app/api` of `team/app/api`; `alpine` of `alpine` and of `library/alpine`), as Harbor's
 * project-level rules do, so `**` means every repository of the project.
 */

export const MAX_PATTERN_LENGTH = 255;

export type Matcher = (value: string) => boolean;

const cache = new Map<string, Matcher>();

export function matcher(pattern: string): Matcher {
  let m = cache.get(pattern);
  if (!m) {
    m = picomatch(pattern, { dot: true });
    if (cache.size > 1000) cache.clear();
    cache.set(pattern, m);
  }
  return m;
}

/** Why a pattern cannot be used, or undefined when it can. */
export function patternProblem(pattern: string): string | undefined {
  if (pattern.trim() === '') return 'must not be empty';
  if (pattern.length > MAX_PATTERN_LENGTH) return `must be at most ${MAX_PATTERN_LENGTH} characters`;
  if (/[\s\\]/.test(pattern)) return 'must not contain spaces or backslashes';
  try {
    picomatch.makeRe(pattern, { dot: true });
  } catch (e) {
    return `is not a valid glob: ${(e as Error).message}`;
  }
  return undefined;
}

/** The repository's path inside its project, which repository patterns match. */
export function pathInProject(repository: string): string {
  const i = repository.indexOf('/');
  return i === -1 ? repository : repository.slice(i + 1);
}

export { projectOf };

/** Tags of the referrers tag schema (`sha256-<hex>`): bookkeeping of OCI 1.0 clients, never subject to tag policies. */
export function isReferrersTag(tag: string): boolean {
  return /^sha(256|512)-[0-9a-f]{64,128}$/.test(tag);
}
