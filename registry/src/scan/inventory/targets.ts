import type { ParsedPackage } from './types.js';
import { parseRpmSqlite } from './rpmdb.js';
import { parseApkInstalled, parseDpkgStatus, parseNpmLock, parseNpmPackageJson, parsePythonMetadata } from './parsers.js';
import { parseCargoLock } from './cargo-lock.js';
import { parseGemfileLock, parseGemspec } from './rubygems.js';
import { parseGoBinary } from './go-buildinfo.js';

/** A file the inventory reads: how much of it at most, and what it yields. */
export interface Target {
  kind: 'os-release' | 'packages' | 'unsupported';
  /** Largest size read; larger files are reported in the notes (or, with `truncate`, read up to the limit). */
  maxBytes: number;
  /** Read only the first maxBytes (formats whose useful part is at the start). */
  truncate?: boolean;
  parse?: (text: string) => ParsedPackage[];
  /** For binary databases (rpmdb.sqlite): parses the bytes; throws with a reason when it cannot. */
  parseBytes?: (data: Buffer) => ParsedPackage[];
  /** For 'unsupported': what to tell the user. */
  note?: string;
}

const MiB = 1024 * 1024;

const osRelease: Target = { kind: 'os-release', maxBytes: 64 * 1024 };
const dpkgStatus: Target = { kind: 'packages', maxBytes: 64 * MiB, parse: (t) => parseDpkgStatus(t, true) };
const dpkgStatusD: Target = { kind: 'packages', maxBytes: 4 * MiB, parse: (t) => parseDpkgStatus(t, false) };
const apkInstalled: Target = { kind: 'packages', maxBytes: 64 * MiB, parse: parseApkInstalled };
const npmLock: Target = { kind: 'packages', maxBytes: 64 * MiB, parse: parseNpmLock };
const npmPackage: Target = { kind: 'packages', maxBytes: 4 * MiB, parse: parseNpmPackageJson };
const pyMetadata: Target = { kind: 'packages', maxBytes: 256 * 1024, truncate: true, parse: parsePythonMetadata };
const rpmSqlite: Target = { kind: 'packages', maxBytes: 128 * MiB, parseBytes: parseRpmSqlite };
const cargoLock: Target = { kind: 'packages', maxBytes: 16 * MiB, parse: parseCargoLock };
const gemfileLock: Target = { kind: 'packages', maxBytes: 16 * MiB, parse: parseGemfileLock };
const gemspec: Target = { kind: 'packages', maxBytes: 256 * 1024, truncate: true, parse: parseGemspec };
/**
 * Executables (an executable bit, or ELF magic) are not read into memory: the layer walker streams them through
 * a GoBuildInfoScanner and hands parseBytes only the build information blob it found (empty when none). maxBytes
 * is the size cap: larger ELF files are reported, not scanned.
 */
export const goBinary: Target = { kind: 'packages', maxBytes: 256 * MiB, parseBytes: parseGoBinary };
const rpmLegacy: Target = {
  kind: 'unsupported',
  maxBytes: 0,
  note: 'RPM database in an older format (BerkeleyDB Packages / ndb Packages.db) found: not supported, RPM packages were not scanned',
};

/** node_modules/<name>/package.json or node_modules/@scope/<name>/package.json, at any depth. */
const nodeModulesPackage = /(^|\/)node_modules\/(@[^/]+\/)?[^/@][^/]*\/package\.json$/;

/** <gem home>/specifications/<name>-<version>.gemspec, and specifications/default/ for Ruby's default gems. */
const gemSpecification = /(^|\/)specifications\/(default\/)?[^/]+\.gemspec$/;

/** The target for a normalised path (no leading slash), or undefined for files the inventory ignores. */
export function targetFor(p: string): Target | undefined {
  switch (p) {
    case 'etc/os-release':
    case 'usr/lib/os-release':
      return osRelease;
    case 'var/lib/dpkg/status':
      return dpkgStatus;
    case 'lib/apk/db/installed':
      return apkInstalled;
    case 'var/lib/rpm/rpmdb.sqlite':
    case 'usr/lib/sysimage/rpm/rpmdb.sqlite':
      return rpmSqlite;
    case 'var/lib/rpm/Packages':
    case 'var/lib/rpm/Packages.db':
    case 'usr/lib/sysimage/rpm/Packages':
    case 'usr/lib/sysimage/rpm/Packages.db':
      return rpmLegacy;
  }
  if (p.startsWith('var/lib/dpkg/status.d/') && !p.endsWith('.md5sums') && p.indexOf('/', 22) < 0) return dpkgStatusD;
  if (p.endsWith('/package-lock.json') || p === 'package-lock.json') return p.includes('node_modules/') ? undefined : npmLock;
  if (p.endsWith('/package.json') && nodeModulesPackage.test(p)) return npmPackage;
  if (/\.dist-info\/METADATA$/.test(p) || /\.egg-info\/PKG-INFO$/.test(p)) return pyMetadata;
  // A lockfile inside a downloaded crate or an installed gem describes how that was developed, not the image.
  if (p.endsWith('Cargo.lock') && (p === 'Cargo.lock' || p.endsWith('/Cargo.lock'))) return p.includes('cargo/registry/') ? undefined : cargoLock;
  if (p.endsWith('Gemfile.lock') && (p === 'Gemfile.lock' || p.endsWith('/Gemfile.lock'))) return /(^|\/)gems\/[^/]+\//.test(p) ? undefined : gemfileLock;
  if (p.endsWith('.gemspec') && gemSpecification.test(p)) return gemspec;
  return undefined;
}
