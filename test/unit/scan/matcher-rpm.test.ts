import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ecosystemApplies, match, type Candidate } from '../../../registry/src/scan/matcher.js';
import { compareRpm } from '../../../registry/src/scan/versions/rpm.js';
import { toRow } from '../../../registry/src/scan/vulndb/osv.js';
import type { AffectedMatchRow } from '../../../registry/src/meta/vulndb.js';
import type { Inventory, InventoryPackage, OsInfo } from '../../../registry/src/scan/inventory/types.js';

/*
 * RPM distributions in OSV: Red Hat ("Red Hat:enterprise_linux:9::appstream", binary or source RPM names,
 * RHSA ids with CVEs in `upstream`, epochs on every fixed version), AlmaLinux ("AlmaLinux:9", ALSA ids with CVEs
 * only in `related`) and Rocky Linux ("Rocky Linux:9", RLSA ids).
 */

function lookup(records: Record<string, unknown>[]): { affecting(pkg: string): AffectedMatchRow[] } {
  const rows = records.map((r) => toRow(r));
  return {
    affecting: (pkg) =>
      rows.flatMap((r) =>
        r.affected
          .filter((a) => a.package === pkg)
          .map((a) => ({ vulnId: r.id, ecosystem: a.ecosystem, spec: JSON.stringify(a.spec), aliases: JSON.stringify(r.aliases), summary: r.summary ?? null, severity: JSON.stringify(r.severity), withdrawn: null })),
      ),
  };
}

const rpm = (name: string, version: string, source?: { name: string; version: string }): InventoryPackage => ({
  type: 'rpm',
  name,
  version,
  sourceName: source?.name ?? name,
  sourceVersion: source?.version ?? version,
  path: 'usr/lib/sysimage/rpm/rpmdb.sqlite',
  layer: 'sha256:l1',
});

const os = (id: string, versionId: string, prettyName?: string): OsInfo => ({ id, versionId, prettyName, codename: undefined });

const fix = (fixed: string) => [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }];

test('Red Hat ecosystems: the main stream of the major release, every repository; not other majors, EUS or layered products', () => {
  const rhel9: Candidate = { ecosystems: { base: 'Red Hat', release: '9' }, names: [] };
  const cases: [string, boolean][] = [
    ['Red Hat', true],
    ['Red Hat:enterprise_linux:9', true],
    ['Red Hat:enterprise_linux:9::appstream', true],
    ['Red Hat:enterprise_linux:9::baseos', true],
    ['Red Hat:enterprise_linux:9::crb', true],
    ['Red Hat:enterprise_linux:9::highavailability', true],
    ['Red Hat:enterprise_linux:8::baseos', false],
    ['Red Hat:enterprise_linux:10::baseos', false],
    ['Red Hat:enterprise_linux:90::baseos', false],
    ['Red Hat:rhel_eus:9.2::appstream', false],
    ['Red Hat:rhel_eus:9.4::baseos', false],
    ['Red Hat:rhel_aus:9.2::baseos', false],
    ['Red Hat:rhel_e4s:9.0::appstream', false],
    ['Red Hat:openshift:4.16::el9', false],
    ['Red Hat:9', false],
    ['Rocky Linux:9', false],
    ['AlmaLinux:9', false],
  ];
  for (const [eco, applies] of cases) assert.equal(ecosystemApplies(eco, rhel9), applies, eco);
  const alma9: Candidate = { ecosystems: { base: 'AlmaLinux', release: '9' }, names: [] };
  assert.equal(ecosystemApplies('AlmaLinux:9', alma9), true);
  assert.equal(ecosystemApplies('AlmaLinux', alma9), true);
  assert.equal(ecosystemApplies('AlmaLinux:8', alma9), false);
  assert.equal(ecosystemApplies('Red Hat:enterprise_linux:9::baseos', alma9), false, 'Alma images take Alma data, not Red Hat data');
  const unknownRelease: Candidate = { ecosystems: { base: 'Red Hat', release: undefined }, names: [] };
  assert.equal(ecosystemApplies('Red Hat:enterprise_linux:9::baseos', unknownRelease), false);
  assert.equal(ecosystemApplies('Red Hat', unknownRelease), true);
});

test('RPM epochs: a missing epoch is 0, both in the image and in the advisory', () => {
  assert.equal(compareRpm('3.0.7-26.el9', '1:3.0.7-27.el9'), -1);
  assert.equal(compareRpm('1:3.0.7-26.el9', '1:3.0.7-27.el9'), -1);
  assert.equal(compareRpm('4.0-1.el9', '1:3.0-1.el9'), -1, 'the epoch decides before the version');
  assert.equal(compareRpm('1.9.5p2-10.el9_3', '0:1.9.5p2-10.el9_3'), 0);
  assert.equal(compareRpm('1:18.19.0-1.module+el9.3.0+20930+4ba2f5d9', '1:18.20.2-2.module+el9.4.0+21731+46b5c5a3'), -1);
  assert.equal(compareRpm('1:18.20.2-2.module+el9.4.0+21731+46b5c5a3', '1:18.20.2-2.module+el9.4.0+21731+46b5c5a3'), 0);
  assert.equal(compareRpm('1:20.12.2-1.module+el9.4.0+21743+4d3eb3b4', '1:18.20.2-2.module+el9.4.0+21731+46b5c5a3'), 1);
});

test('matching a UBI 9.4 image: RHEL 9 streams and ecosystem-wide records, binary and source names, epochs', () => {
  const inv: Inventory = {
    os: os('rhel', '9.4', 'Red Hat Enterprise Linux 9.4 (Plow)'),
    packages: [
      rpm('openssl-libs', '1:3.0.7-26.el9', { name: 'openssl', version: '1:3.0.7-26.el9' }),
      rpm('nodejs-libs', '1:18.19.0-1.module+el9.3.0+20930+4ba2f5d9', { name: 'nodejs', version: '1:18.19.0-1.module+el9.3.0+20930+4ba2f5d9' }),
      rpm('sudo', '1.9.5p2-10.el9_3'),
      rpm('libxml2', '2.9.13-5.el9_3'),
      rpm('bzip2-libs', '1.0.8-8.el9', { name: 'bzip2', version: '1.0.8-8.el9' }),
    ],
    notes: [],
    layers: [],
  };
  const db = lookup([
    {
      id: 'RHSA-2024:2447',
      summary: 'Moderate: openssl security and bug fix update',
      upstream: ['CVE-2023-5678', 'CVE-2023-6129'],
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L' }],
      affected: [
        { package: { ecosystem: 'Red Hat:enterprise_linux:9::baseos', name: 'openssl-libs', purl: 'pkg:rpm/redhat/openssl-libs' }, ranges: fix('1:3.0.7-27.el9') },
        { package: { ecosystem: 'Red Hat:enterprise_linux:9::appstream', name: 'openssl-devel' }, ranges: fix('1:3.0.7-27.el9') },
      ],
    },
    // Would match if EL8 or EUS streams applied (their fixed versions are above the installed one).
    { id: 'RHSA-2024:0001', upstream: ['CVE-2024-0001'], affected: [{ package: { ecosystem: 'Red Hat:enterprise_linux:8::baseos', name: 'openssl-libs' }, ranges: fix('1:3.0.9-1.el8') }] },
    { id: 'RHSA-2024:0002', upstream: ['CVE-2024-0002'], affected: [{ package: { ecosystem: 'Red Hat:rhel_eus:9.2::baseos', name: 'openssl-libs' }, ranges: fix('1:3.0.7-28.el9_2') }] },
    {
      // Names the binary "nodejs" only: nodejs-libs matches through its source RPM.
      id: 'RHSA-2024:2910',
      summary: 'Important: nodejs:18 security update',
      upstream: ['CVE-2024-27983'],
      affected: [{ package: { ecosystem: 'Red Hat:enterprise_linux:9::appstream', name: 'nodejs' }, ranges: fix('1:18.20.2-2.module+el9.4.0+21731+46b5c5a3') }],
    },
    // Fixed at exactly the installed version: "0:" on one side, no epoch on the other.
    { id: 'RHSA-2024:0101', summary: 'Moderate: sudo security update', upstream: ['CVE-2023-42465'], affected: [{ package: { ecosystem: 'Red Hat:enterprise_linux:9::baseos', name: 'sudo' }, ranges: fix('0:1.9.5p2-10.el9_3') }] },
    {
      // Ecosystem-wide, v4 severity only.
      id: 'RHSA-2024:3000',
      upstream: ['CVE-2024-25062'],
      severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N' }],
      affected: [{ package: { ecosystem: 'Red Hat', name: 'libxml2' }, ranges: fix('0:2.9.13-6.el9_4') }],
    },
    // An epoch the image does not have: 1.0.8 without epoch is older than 1:1.0.6.
    { id: 'RHSA-2024:0300', upstream: ['CVE-2019-12900'], affected: [{ package: { ecosystem: 'Red Hat:enterprise_linux:9::baseos', name: 'bzip2-libs' }, ranges: fix('1:1.0.6-1.el9') }] },
  ]);
  const r = match(inv, db);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.unchecked, []);
  assert.deepEqual(
    r.findings.map((f) => [f.vulnId, f.severity, f.score, f.package, f.installed, f.fixed]),
    [
      ['CVE-2024-25062', 'high', 8.7, 'libxml2', '2.9.13-5.el9_3', '0:2.9.13-6.el9_4'],
      ['CVE-2024-27983', 'high', undefined, 'nodejs-libs', '1:18.19.0-1.module+el9.3.0+20930+4ba2f5d9', '1:18.20.2-2.module+el9.4.0+21731+46b5c5a3'],
      ['CVE-2023-5678', 'medium', 5.3, 'openssl-libs', '1:3.0.7-26.el9', '1:3.0.7-27.el9'],
      ['CVE-2019-12900', 'unknown', undefined, 'bzip2-libs', '1.0.8-8.el9', '1:1.0.6-1.el9'],
    ],
  );
  assert.deepEqual(r.findings[2]!.aliases, ['RHSA-2024:2447', 'CVE-2023-6129']);
});

test('AlmaLinux and Rocky Linux: release-qualified, source names; ALSA records name their CVEs in related', () => {
  const libs = rpm('openssl-libs', '1:3.0.7-26.el9', { name: 'openssl', version: '1:3.0.7-26.el9' });
  const records = [
    {
      id: 'ALSA-2024:2447',
      summary: 'Moderate: openssl security and bug fix update',
      related: ['CVE-2023-5678', 'CVE-2023-6129'],
      affected: [
        { package: { ecosystem: 'AlmaLinux:9', name: 'openssl' }, ranges: fix('1:3.0.7-27.el9') },
        { package: { ecosystem: 'AlmaLinux:8', name: 'openssl' }, ranges: fix('1:3.0.9-1.el8') },
      ],
    },
    { id: 'RLSA-2024:2447', aliases: ['CVE-2023-5678'], affected: [{ package: { ecosystem: 'Rocky Linux:9', name: 'openssl' }, ranges: fix('1:3.0.7-27.el9') }], database_specific: { severity: 'high' } },
    // `related` of a non-distribution record names another vulnerability: it stays under its own id.
    { id: 'GHSA-xxxx-yyyy-zzzz', related: ['CVE-2023-0001'], affected: [{ package: { ecosystem: 'AlmaLinux:9', name: 'openssl' }, ranges: fix('1:3.0.7-27.el9') }] },
  ];
  const alma = match({ os: os('almalinux', '9.4'), packages: [libs], notes: [], layers: [] }, lookup(records));
  assert.deepEqual(
    alma.findings.map((f) => [f.vulnId, f.severity, f.package, f.fixed, f.aliases]),
    [
      ['CVE-2023-5678', 'medium', 'openssl-libs', '1:3.0.7-27.el9', ['ALSA-2024:2447', 'CVE-2023-6129']],
      ['GHSA-xxxx-yyyy-zzzz', 'unknown', 'openssl-libs', '1:3.0.7-27.el9', []],
    ],
  );
  const rocky = match({ os: os('rocky', '9.3'), packages: [libs], notes: [], layers: [] }, lookup(records));
  assert.deepEqual(rocky.findings.map((f) => [f.vulnId, f.severity, f.aliases]), [['CVE-2023-5678', 'high', ['RLSA-2024:2447']]]);
});

test('CentOS Stream and RPM images without os-release: reported as not checked, never silently clean', () => {
  const packages = [rpm('openssl-libs', '1:3.0.7-26.el9', { name: 'openssl', version: '1:3.0.7-26.el9' }), rpm('sudo', '1.9.5p2-10.el9_3')];
  const db = lookup([{ id: 'RHSA-2024:2447', upstream: ['CVE-2023-5678'], affected: [{ package: { ecosystem: 'Red Hat:enterprise_linux:9::baseos', name: 'openssl-libs' }, ranges: fix('1:3.0.7-27.el9') }] }]);
  const centos = match({ os: os('centos', '9', 'CentOS Stream 9'), packages, notes: [], layers: [] }, db);
  assert.deepEqual(centos.findings, []);
  assert.deepEqual(centos.unchecked, ['2 rpm packages: Berth has no vulnerability source for CentOS Stream 9 (os-release ID "centos"; OSV publishes none); they were not checked']);
  const bare = match({ os: undefined, packages: packages.slice(0, 1), notes: [], layers: [] }, db);
  assert.deepEqual(bare.unchecked, ['1 rpm package: the image has no /etc/os-release, so their distribution (and its vulnerability data) is unknown; they were not checked']);
  const rhel = match({ os: os('rhel', '9.4'), packages, notes: [], layers: [] }, db);
  assert.deepEqual(rhel.unchecked, []);
  assert.deepEqual(rhel.findings.map((f) => f.vulnId), ['CVE-2023-5678']);
});
