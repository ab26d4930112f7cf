import { compareDpkg } from './dpkg.js';
import { compareApk, isValidApkVersion } from './apk.js';
import { compareRpm } from './rpm.js';
import { compareSemver, isValidSemver } from './semver.js';
import { comparePep440, isValidPep440 } from './pep440.js';
import { compareGoSemver, isValidGoSemver } from './go-semver.js';
import { compareGem, isValidGemVersion } from './gem.js';

/** A version scheme: total order over version strings; compare throws on a version the scheme cannot parse. */
export interface VersionScheme {
  name: 'dpkg' | 'apk' | 'rpm' | 'semver' | 'pep440' | 'go' | 'gem';
  compare(a: string, b: string): number;
  valid(v: string): boolean;
}

function validBy(compare: (a: string, b: string) => number): (v: string) => boolean {
  return (v) => {
    try {
      compare(v, v);
      return true;
    } catch {
      return false;
    }
  };
}

export const schemes = {
  dpkg: { name: 'dpkg', compare: compareDpkg, valid: validBy(compareDpkg) },
  apk: { name: 'apk', compare: compareApk, valid: isValidApkVersion },
  rpm: { name: 'rpm', compare: compareRpm, valid: () => true },
  semver: { name: 'semver', compare: compareSemver, valid: isValidSemver },
  pep440: { name: 'pep440', compare: comparePep440, valid: isValidPep440 },
  go: { name: 'go', compare: compareGoSemver, valid: isValidGoSemver },
  gem: { name: 'gem', compare: compareGem, valid: isValidGemVersion },
} satisfies Record<string, VersionScheme>;

/**
 * The scheme of an OSV ecosystem name (the part before ':', so "Debian:12" and "Alpine:v3.19" work), or
 * undefined for ecosystems Berth cannot order.
 */
export function schemeForEcosystem(ecosystem: string): VersionScheme | undefined {
  const base = ecosystem.split(':')[0]!.toLowerCase();
  switch (base) {
    case 'debian':
    case 'ubuntu':
      return schemes.dpkg;
    case 'alpine':
    case 'wolfi':
    case 'chainguard':
      return schemes.apk;
    case 'red hat':
    case 'rocky linux':
    case 'almalinux':
    case 'opensuse':
    case 'suse':
    case 'mageia':
      return schemes.rpm;
    case 'npm':
      return schemes.semver;
    case 'pypi':
      return schemes.pep440;
    case 'go':
      return schemes.go;
    case 'crates.io':
      return schemes.semver;
    case 'rubygems':
      return schemes.gem;
    default:
      return undefined;
  }
}
