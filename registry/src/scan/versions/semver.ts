import semver from 'semver';

/*
 * npm versions are SemVer 2.0 (the `semver` package npm itself uses). Loose parsing accepts "v1.2.3" and
 * "=1.2.3" as npm does; build metadata is ignored in ordering, as the spec says.
 */

export function isValidSemver(v: string): boolean {
  return semver.valid(v, { loose: true }) !== null;
}

export function compareSemver(a: string, b: string): number {
  const x = semver.parse(a, { loose: true });
  const y = semver.parse(b, { loose: true });
  if (!x || !y) throw new Error(`invalid SemVer version ${JSON.stringify(x ? b : a)}`);
  return x.compare(y);
}
