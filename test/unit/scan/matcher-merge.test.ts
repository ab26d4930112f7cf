import { test } from 'node:test';
import assert from 'node:assert/strict';
import { match, type VulnLookup } from '../../../registry/src/scan/matcher.js';
import { toRow } from '../../../registry/src/scan/vulndb/osv.js';
import type { Inventory, InventoryPackage, OsInfo } from '../../../registry/src/scan/inventory/types.js';

/*
 * One finding per vulnerability per package: records that name each other (DSA ↔ CVE, GO ↔ GHSA ↔ CVE, an
 * advisory with several affected entries for one package) are one finding, named after the CVE. Severity from
 * CVSS v3/v4 or the ecosystem's own rating, and for Go records (which state none) from the records they alias.
 * RHEL-family module streams: a stream's fixes apply to that stream's builds only.
 */

/** A lookup over OSV records, as the database serves them (withdrawn records are stored and skipped). */
function lookup(records: Record<string, unknown>[]): VulnLookup {
  const rows = records.map((r) => toRow(r));
  return {
    affecting: (pkg) =>
      rows.flatMap((r) =>
        r.affected
          .filter((a) => a.package === pkg)
          .map((a) => ({ vulnId: r.id, ecosystem: a.ecosystem, spec: JSON.stringify(a.spec), aliases: JSON.stringify(r.aliases), summary: r.summary ?? null, severity: JSON.stringify(r.severity), withdrawn: r.withdrawn ?? null })),
      ),
    severitiesOf: (id) => rows.filter((r) => r.id === id && !r.withdrawn).map((r) => JSON.stringify(r.severity)),
  };
}

const pkg = (type: InventoryPackage['type'], name: string, version: string, extra: Partial<InventoryPackage> = {}): InventoryPackage => ({ type, name, version, path: 'x', layer: 'sha256:l', ...extra });
const inventory = (packages: InventoryPackage[], os?: OsInfo): Inventory => ({ os, packages, notes: [], layers: [] });
const fix = (fixed: string, type = 'ECOSYSTEM') => [{ type, events: [{ introduced: '0' }, { fixed }] }];
const row = (f: { vulnId: string; aliases: string[]; severity: string; score: number | undefined; fixed: string | undefined }) => [f.vulnId, f.aliases, f.severity, f.score, f.fixed];

test('a DSA fixing two CVEs and the Debian record of one of them: one finding, named after the DSA first CVE', () => {
  const db = lookup([
    { id: 'DSA-5800-1', aliases: ['CVE-2024-1001', 'CVE-2024-1002'], summary: 'curl security update', affected: [{ package: { ecosystem: 'Debian:12', name: 'curl' }, ranges: fix('7.88.1-10+deb12u8') }] },
    {
      id: 'DEBIAN-CVE-2024-1002',
      upstream: ['CVE-2024-1002'],
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' }],
      affected: [{ package: { ecosystem: 'Debian:12', name: 'curl' }, ranges: fix('7.88.1-10+deb12u7') }],
    },
  ]);
  const os: OsInfo = { id: 'debian', versionId: '12', prettyName: undefined, codename: 'bookworm' };
  const r = match(inventory([pkg('deb', 'libcurl4', '7.88.1-10+deb12u5', { sourceName: 'curl', sourceVersion: '7.88.1-10+deb12u5' })], os), db);
  assert.deepEqual(r.findings.map(row), [['CVE-2024-1001', ['DEBIAN-CVE-2024-1002', 'CVE-2024-1002', 'DSA-5800-1'], 'high', 7.5, '7.88.1-10+deb12u8']]);
});

test('an advisory with several affected entries and ranges for one package: one finding, the fix that applies', () => {
  const db = lookup([
    {
      id: 'GHSA-aaaa-bbbb-cccc',
      aliases: ['CVE-2024-2001'],
      database_specific: { severity: 'HIGH' },
      affected: [
        { package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '4.0.0' }, { fixed: '4.17.21' }] }] },
        { package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '3.10.2' }] }, { type: 'SEMVER', events: [{ introduced: '4.17.0' }, { fixed: '4.17.21' }] }] },
      ],
    },
  ]);
  const r = match(inventory([pkg('npm', 'lodash', '4.17.20')]), db);
  assert.deepEqual(r.findings.map(row), [['CVE-2024-2001', ['GHSA-aaaa-bbbb-cccc'], 'high', undefined, '4.17.21']]);
});

test('Go: a GO record, its GHSA and the CVE are one finding; severity from the GHSA or the CVE record, not unknown', () => {
  const db = lookup([
    // Go's vulndb: no severity, aliases the GHSA only (the CVE is named by the GHSA).
    { id: 'GO-2024-2687', aliases: ['GHSA-4v7x-pqxf-cx7m'], affected: [{ package: { ecosystem: 'Go', name: 'golang.org/x/net' }, ranges: fix('0.23.0', 'SEMVER') }] },
    {
      id: 'GHSA-4v7x-pqxf-cx7m',
      aliases: ['CVE-2023-45288'],
      database_specific: { severity: 'MODERATE' },
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' }],
      affected: [{ package: { ecosystem: 'Go', name: 'golang.org/x/net' }, ranges: fix('0.23.0', 'SEMVER') }],
    },
    // A Go record whose CVE is imported from another source (no Go package there) with a CVSS vector.
    { id: 'GO-2023-2102', aliases: ['CVE-2023-39325'], affected: [{ package: { ecosystem: 'Go', name: 'golang.org/x/net' }, ranges: fix('0.17.0', 'SEMVER') }] },
    { id: 'CVE-2023-39325', severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' }], affected: [] },
    // A Go record nothing rates stays unknown; a withdrawn record rates nothing.
    { id: 'GO-2024-0001', aliases: ['CVE-2024-0001'], affected: [{ package: { ecosystem: 'Go', name: 'golang.org/x/net' }, ranges: fix('0.30.0', 'SEMVER') }] },
    { id: 'CVE-2024-0001', withdrawn: '2024-02-01T00:00:00Z', severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }], affected: [] },
  ]);
  const r = match(inventory([pkg('golang', 'golang.org/x/net', 'v0.7.0')]), db);
  assert.deepEqual(r.findings.map(row), [
    ['CVE-2023-39325', ['GO-2023-2102'], 'high', 7.5, '0.17.0'],
    ['CVE-2023-45288', ['GHSA-4v7x-pqxf-cx7m', 'GO-2024-2687'], 'high', 7.5, '0.23.0'],
    ['CVE-2024-0001', ['GO-2024-0001'], 'unknown', undefined, '0.30.0'],
  ]);
});

test('the ecosystem own rating when there is no vector: GHSA database_specific, Ubuntu priority', () => {
  const db = lookup([
    { id: 'GHSA-xxxx-yyyy-zzzz', aliases: ['CVE-2024-3001'], database_specific: { severity: 'LOW' }, affected: [{ package: { ecosystem: 'PyPI', name: 'Jinja2' }, ranges: fix('3.1.4') }] },
    { id: 'UBUNTU-CVE-2024-3002', upstream: ['CVE-2024-3002'], severity: [{ type: 'Ubuntu', score: 'medium' }], affected: [{ package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'zlib' }, ranges: fix('1:1.2.11.dfsg-2ubuntu9.3') }] },
  ]);
  const r = match(inventory([pkg('pypi', 'jinja2', '3.1.2')]), db);
  assert.deepEqual(r.findings.map(row), [['CVE-2024-3001', ['GHSA-xxxx-yyyy-zzzz'], 'low', undefined, '3.1.4']]);
  const ubuntu: OsInfo = { id: 'ubuntu', versionId: '22.04', prettyName: undefined, codename: 'jammy' };
  const u = match(inventory([pkg('deb', 'zlib1g', '1:1.2.11.dfsg-2ubuntu9.2', { sourceName: 'zlib', sourceVersion: '1:1.2.11.dfsg-2ubuntu9.2' })], ubuntu), db);
  assert.deepEqual(u.findings.map(row), [['CVE-2024-3002', ['UBUNTU-CVE-2024-3002'], 'medium', undefined, '1:1.2.11.dfsg-2ubuntu9.3']]);
});

test('RHEL module streams: nodejs:18 takes nodejs:18 fixes only, not nodejs:20 nor the non-modular package', () => {
  const rocky: OsInfo = { id: 'rocky', versionId: '9.4', prettyName: undefined, codename: undefined };
  const v18 = '1:18.19.0-1.module+el9.3.0+100+4ba2f5d9';
  const db = lookup([
    { id: 'RLSA-2024:2001', summary: 'Important: nodejs:18 security update', aliases: ['CVE-2024-4001'], affected: [{ package: { ecosystem: 'Rocky Linux:9', name: 'nodejs' }, ranges: fix('1:18.20.2-2.module+el9.4.0+200+46b5c5a3') }] },
    // Another stream: its fixed version is above the installed 18.x, so without streams it would match.
    { id: 'RLSA-2024:2002', summary: 'Important: nodejs:20 security update', aliases: ['CVE-2024-4002'], affected: [{ package: { ecosystem: 'Rocky Linux:9', name: 'nodejs' }, ranges: fix('1:20.12.2-1.module+el9.4.0+300+4d3eb3b4') }] },
    // Red Hat names the stream in the purl.
    {
      id: 'RHSA-2024:2003',
      upstream: ['CVE-2024-4003'],
      affected: [{ package: { ecosystem: 'Rocky Linux:9', name: 'nodejs', purl: 'pkg:rpm/redhat/nodejs@1:20.12.2-1?arch=src&rpm_mod=nodejs:20:9040020240307:rhel9' }, ranges: fix('1:20.12.2-1.module+el9.4.0+300+4d3eb3b4') }],
    },
    // The non-modular package (RHEL 9's default nodejs 16 line, here fixed in a 22 rebase): not the stream's.
    { id: 'RLSA-2024:2004', summary: 'Moderate: nodejs security update', aliases: ['CVE-2024-4004'], affected: [{ package: { ecosystem: 'Rocky Linux:9', name: 'nodejs' }, ranges: fix('1:22.0.0-1.el9') }] },
  ]);
  const modular = pkg('rpm', 'nodejs', v18, { sourceName: 'nodejs', sourceVersion: v18, module: 'nodejs:18' });
  assert.deepEqual(match(inventory([modular], rocky), db).findings.map((f) => f.vulnId), ['CVE-2024-4001']);
  // A non-modular nodejs takes the non-modular fix only.
  const plain = pkg('rpm', 'nodejs', '1:16.20.2-3.el9', { sourceName: 'nodejs', sourceVersion: '1:16.20.2-3.el9' });
  assert.deepEqual(match(inventory([plain], rocky), db).findings.map((f) => f.vulnId), ['CVE-2024-4004']);
  // A module build whose label the rpmdb lacks: any stream's fixes may apply (it cannot be told apart).
  const unlabelled = pkg('rpm', 'nodejs', v18, { sourceName: 'nodejs', sourceVersion: v18 });
  assert.deepEqual(match(inventory([unlabelled], rocky), db).findings.map((f) => f.vulnId).sort(), ['CVE-2024-4001', 'CVE-2024-4002', 'CVE-2024-4003']);
});
